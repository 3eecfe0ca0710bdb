//! Recipes: how a case's scratch directory is built from the repository's
//! inputs. The scratch directory starts as the repository's `indicators/`
//! and `reports/`, and a `data-samples/` holding the run's tiny generated
//! extract (the binary's defaults), its Parquet files hard-linked to the one
//! shared read-only copy (every step that changes a file writes a new one,
//! never into the link).

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchReader, new_null_array};
use arrow::compute::{cast, concat_batches};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde::Deserialize;

/// One step of a recipe. Paths are relative to the scratch directory.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Replace text in a file (the first occurrence, or all); the text must be there.
    Replace {
        file: String,
        from: String,
        to: String,
        #[serde(default)]
        all: bool,
    },
    /// Write a file.
    Write { file: String, text: String },
    /// Add text at the end of a file.
    Append { file: String, text: String },
    /// Add text at the start of a file.
    Prepend { file: String, text: String },
    /// Write `head`, `unit` repeated `n` times, then `tail` (big inputs are
    /// generated, not committed).
    Repeat {
        file: String,
        #[serde(default)]
        head: String,
        unit: String,
        n: usize,
        #[serde(default)]
        tail: String,
    },
    /// Remove a file or directory.
    Remove { path: String },
    /// Make a directory.
    Mkdir { path: String },
    /// Make a named pipe (nothing ever writes to it).
    Fifo { path: String },
    /// Make a symbolic link `path` -> `target` (`{ws}` is the scratch dir).
    Symlink { path: String, target: String },
    /// Copy a file.
    Copy { from: String, to: String },
    /// Keep the first `len` bytes of a file.
    Truncate { file: String, len: u64 },
    /// Overwrite `count` bytes with `byte`, starting `offset` bytes from
    /// the start (or from the end when negative).
    Corrupt {
        file: String,
        offset: i64,
        byte: u8,
        #[serde(default = "one")]
        count: usize,
    },
    /// Change a file's mode bits.
    Chmod { file: String, mode: u32 },
    /// Rewrite a Parquet table of data-samples.
    Parquet {
        table: String,
        #[serde(flatten)]
        op: ParquetOp,
    },
}

fn one() -> usize {
    1
}

/// An edit of a Parquet table.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum ParquetOp {
    /// Set one cell (`row`) or every cell (no `row`) of `column`, given as
    /// text in the column's type (`null` for null).
    Set {
        column: String,
        #[serde(default)]
        row: Option<usize>,
        value: String,
    },
    /// Append the first `n` rows again.
    DuplicateRows { n: usize },
    /// Cast a column to another type (`int64`, `utf8`, `float64`, `date32`,
    /// `int32`, `timestamp`).
    Cast { column: String, to: String },
    /// Remove a column.
    DropColumn { column: String },
    /// Rename a column.
    RenameColumn { from: String, to: String },
    /// Keep the first `n` rows.
    Head { n: usize },
    /// Split into a directory `TABLE/` of `parts` part files (removing
    /// the file unless `keep_file`).
    Split {
        parts: usize,
        #[serde(default)]
        keep_file: bool,
    },
    /// Split into two parts and rename a column in the second.
    SplitMismatch { column: String },
}

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn copy_tree(from: &Path, to: &Path, link: bool) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(err)?;
    for e in std::fs::read_dir(from).map_err(err)? {
        let e = e.map_err(err)?;
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_tree(&p, &dest, link)?;
        } else if link && p.extension().is_some_and(|x| x == "parquet") {
            if std::fs::hard_link(&p, &dest).is_err() {
                std::fs::copy(&p, &dest).map_err(err)?;
            }
        } else {
            std::fs::copy(&p, &dest).map_err(err)?;
        }
    }
    Ok(())
}

/// Build the scratch directory `ws` with the extract `data` as its
/// `data-samples/`, and apply `steps`.
pub fn prepare(ws: &Path, data: &Path, steps: &[Step]) -> Result<(), String> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    copy_tree(&repo.join("indicators"), &ws.join("indicators"), false)?;
    copy_tree(&repo.join("reports"), &ws.join("reports"), false)?;
    copy_tree(data, &ws.join("data-samples"), true)?;
    std::fs::create_dir_all(ws.join("tmp")).map_err(err)?;
    let wss = ws.display().to_string();
    for step in steps {
        apply(ws, &wss, step).map_err(|e| format!("{step:?}: {e}"))?;
    }
    Ok(())
}

/// Replace a (possibly hard-linked) file by new contents.
fn rewrite(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(err)?;
    }
    let _ = std::fs::remove_file(path);
    std::fs::write(path, bytes).map_err(err)
}

fn apply(ws: &Path, wss: &str, step: &Step) -> Result<(), String> {
    let at = |f: &str| ws.join(f);
    match step {
        Step::Replace {
            file,
            from,
            to,
            all,
        } => {
            let t = std::fs::read_to_string(at(file)).map_err(err)?;
            if !t.contains(from.as_str()) {
                return Err(format!("`{from}` not in {file}"));
            }
            let t = if *all {
                t.replace(from.as_str(), to)
            } else {
                t.replacen(from.as_str(), to, 1)
            };
            rewrite(&at(file), t.as_bytes())
        }
        Step::Write { file, text } => rewrite(&at(file), text.replace("{ws}", wss).as_bytes()),
        Step::Append { file, text } => {
            let t = std::fs::read_to_string(at(file)).map_err(err)?;
            rewrite(&at(file), format!("{t}{text}").as_bytes())
        }
        Step::Prepend { file, text } => {
            let t = std::fs::read(at(file)).map_err(err)?;
            let mut b = text.as_bytes().to_vec();
            b.extend_from_slice(&t);
            rewrite(&at(file), &b)
        }
        Step::Repeat {
            file,
            head,
            unit,
            n,
            tail,
        } => {
            let mut s = String::with_capacity(head.len() + unit.len() * n + tail.len());
            s.push_str(head);
            for _ in 0..*n {
                s.push_str(unit);
            }
            s.push_str(tail);
            rewrite(&at(file), s.as_bytes())
        }
        Step::Remove { path: p } => {
            let p = at(p);
            if p.is_dir() {
                std::fs::remove_dir_all(p).map_err(err)
            } else {
                std::fs::remove_file(p).map_err(err)
            }
        }
        Step::Mkdir { path: p } => std::fs::create_dir_all(at(p)).map_err(err),
        Step::Fifo { path: p } => {
            let _ = std::fs::remove_file(at(p));
            let c = std::ffi::CString::new(at(p).display().to_string()).map_err(err)?;
            // SAFETY: a valid NUL-terminated path
            if unsafe { libc::mkfifo(c.as_ptr(), 0o644) } != 0 {
                return Err(std::io::Error::last_os_error().to_string());
            }
            Ok(())
        }
        Step::Symlink { path, target } => {
            let _ = std::fs::remove_file(at(path));
            std::os::unix::fs::symlink(target.replace("{ws}", wss), at(path)).map_err(err)
        }
        Step::Copy { from, to } => {
            let b = std::fs::read(at(from)).map_err(err)?;
            rewrite(&at(to), &b)
        }
        Step::Truncate { file, len } => {
            let mut b = std::fs::read(at(file)).map_err(err)?;
            b.truncate(*len as usize);
            rewrite(&at(file), &b)
        }
        Step::Corrupt {
            file,
            offset,
            byte,
            count,
        } => {
            let mut b = std::fs::read(at(file)).map_err(err)?;
            let start = if *offset < 0 {
                b.len() as i64 + offset
            } else {
                *offset
            } as usize;
            for i in start..(start + count).min(b.len()) {
                b[i] = *byte;
            }
            rewrite(&at(file), &b)
        }
        Step::Chmod { file, mode } => {
            use std::os::unix::fs::PermissionsExt;
            // a hard link shares its mode with the shared extract: unlink first
            if let Ok(m) = std::fs::symlink_metadata(at(file))
                && m.is_file()
            {
                let b = std::fs::read(at(file)).map_err(err)?;
                rewrite(&at(file), &b)?;
            }
            std::fs::set_permissions(at(file), std::fs::Permissions::from_mode(*mode)).map_err(err)
        }
        Step::Parquet { table, op } => parquet_edit(&ws.join("data-samples"), table, op),
    }
}

fn read_table(path: &Path) -> Result<RecordBatch, String> {
    let f = std::fs::File::open(path).map_err(err)?;
    let r = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(err)?
        .build()
        .map_err(err)?;
    let schema = r.schema();
    let batches: Vec<RecordBatch> = r.collect::<Result<_, _>>().map_err(err)?;
    concat_batches(&schema, &batches).map_err(err)
}

fn write_batch(path: &Path, batch: &RecordBatch) -> Result<(), String> {
    if let Some(p) = path.parent() {
        std::fs::create_dir_all(p).map_err(err)?;
    }
    let _ = std::fs::remove_file(path);
    let f = std::fs::File::create(path).map_err(err)?;
    let mut w = ArrowWriter::try_new(f, batch.schema(), None).map_err(err)?;
    w.write(batch).map_err(err)?;
    w.close().map_err(err)?;
    Ok(())
}

fn type_named(name: &str) -> Result<DataType, String> {
    Ok(match name {
        "int64" => DataType::Int64,
        "int32" => DataType::Int32,
        "utf8" => DataType::Utf8,
        "float64" => DataType::Float64,
        "date32" => DataType::Date32,
        "boolean" => DataType::Boolean,
        "timestamp" => DataType::Timestamp(arrow::datatypes::TimeUnit::Nanosecond, None),
        other => return Err(format!("unknown type {other}")),
    })
}

/// Rebuild `batch` with column `name` replaced (field nullable).
fn with_column(batch: &RecordBatch, name: &str, col: ArrayRef) -> Result<RecordBatch, String> {
    let idx = batch
        .schema()
        .index_of(name)
        .map_err(|_| format!("no column {name}"))?;
    let mut fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    let mut cols: Vec<ArrayRef> = batch.columns().to_vec();
    fields[idx] = Field::new(name, col.data_type().clone(), true);
    cols[idx] = col;
    RecordBatch::try_new(Arc::new(Schema::new(fields)), cols).map_err(err)
}

fn parquet_edit(data: &Path, table: &str, op: &ParquetOp) -> Result<(), String> {
    let file = data.join(format!("{table}.parquet"));
    let batch = read_table(&file)?;
    let out = match op {
        ParquetOp::Set { column, row, value } => {
            let col = batch
                .column_by_name(column)
                .ok_or_else(|| format!("no column {column}"))?
                .clone();
            let dt = col.data_type().clone();
            let text = cast(&col, &DataType::Utf8).map_err(err)?;
            let text = text
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .ok_or("not text")?;
            let vals: Vec<Option<String>> = (0..text.len())
                .map(|i| {
                    let v = if text.is_null(i) {
                        None
                    } else {
                        Some(text.value(i).to_string())
                    };
                    if row.is_none_or(|r| r == i) {
                        if value == "null" {
                            None
                        } else {
                            Some(value.clone())
                        }
                    } else {
                        v
                    }
                })
                .collect();
            let new: ArrayRef = Arc::new(arrow::array::StringArray::from(vals));
            let new = if value == "null" && row.is_none() {
                new_null_array(&dt, batch.num_rows())
            } else {
                let opts = arrow::compute::CastOptions {
                    safe: false,
                    ..Default::default()
                };
                arrow::compute::cast_with_options(&new, &dt, &opts).map_err(err)?
            };
            with_column(&batch, column, new)?
        }
        ParquetOp::DuplicateRows { n } => {
            let head = batch.slice(0, (*n).min(batch.num_rows()));
            concat_batches(&batch.schema(), &[batch.clone(), head]).map_err(err)?
        }
        ParquetOp::Cast { column, to } => {
            let col = batch
                .column_by_name(column)
                .ok_or_else(|| format!("no column {column}"))?;
            let new = cast(col, &type_named(to)?).map_err(err)?;
            with_column(&batch, column, new)?
        }
        ParquetOp::DropColumn { column } => {
            let idx = batch.schema().index_of(column).map_err(err)?;
            let mut b = batch.clone();
            b.remove_column(idx);
            b
        }
        ParquetOp::RenameColumn { from, to } => {
            let fields: Vec<Field> = batch
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    if f.name() == from {
                        f.as_ref().clone().with_name(to)
                    } else {
                        f.as_ref().clone()
                    }
                })
                .collect();
            RecordBatch::try_new(Arc::new(Schema::new(fields)), batch.columns().to_vec())
                .map_err(err)?
        }
        ParquetOp::Head { n } => batch.slice(0, (*n).min(batch.num_rows())),
        ParquetOp::Split { parts, keep_file } => {
            let n = batch.num_rows();
            let per = n.div_ceil((*parts).max(1));
            for p in 0..*parts {
                let start = (p * per).min(n);
                let len = per.min(n - start);
                write_batch(
                    &data.join(table).join(format!("part-{p}.parquet")),
                    &batch.slice(start, len),
                )?;
            }
            if !keep_file {
                std::fs::remove_file(&file).map_err(err)?;
            }
            return Ok(());
        }
        ParquetOp::SplitMismatch { column } => {
            let n = batch.num_rows();
            write_batch(
                &data.join(table).join("part-0.parquet"),
                &batch.slice(0, n / 2),
            )?;
            let second = batch.slice(n / 2, n - n / 2);
            let fields: Vec<Field> = second
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    if f.name() == column {
                        f.as_ref().clone().with_name(format!("{column}_x"))
                    } else {
                        f.as_ref().clone()
                    }
                })
                .collect();
            let second =
                RecordBatch::try_new(Arc::new(Schema::new(fields)), second.columns().to_vec())
                    .map_err(err)?;
            write_batch(&data.join(table).join("part-1.parquet"), &second)?;
            std::fs::remove_file(&file).map_err(err)?;
            return Ok(());
        }
    };
    write_batch(&file, &out)
}
