#!/bin/sh
# Print the stage-to-stage imports of the crate: for every top-level module
# of src/ (a folder or a file), the other top-level modules (or the crate
# root, `lib.rs`) its code names through a `crate::` path, with how many
# times. `main.rs` is the binary: its `pireport::` paths are listed too.
#
#   scripts/stage-imports.sh            # from the repository root
#
# An import of a stage that comes later in the pipeline (ORDER below) is
# marked `LATER`. Comments are ignored; `use crate::{a, b::c}` groups are expanded. Items
# defined in lib.rs itself (Error, Run, ...) count as the crate root.
set -eu
cd "$(dirname "$0")/.."
perl -e '
use strict; use warnings;
my %mods;
opendir(my $d, "src") or die "no src/";
for my $e (readdir $d) {
  next if $e =~ /^\./;
  if (-d "src/$e") { $mods{$e} = 1 } elsif ($e =~ /^(\w+)\.rs$/ && $1 ne "lib" && $1 ne "main") { $mods{$1} = 1 }
}
my %edges;
# the pipeline, earliest first: a module may import those before it
my @order = qw(period stats suggest geography contract definition extract peers validate request plan execute assess report render generate);
my %rank; @rank{@order} = (0..$#order);
sub files { my ($p) = @_; return ($p) if -f $p; my @f; opendir(my $h, $p) or return (); for my $e (sort readdir $h) { next if $e =~ /^\./; push @f, files("$p/$e") } return grep { /\.rs$/ } @f }
sub scan {
  my ($from, $path, $prefix) = @_;
  for my $f (files($path)) {
    open(my $h, "<", $f) or die; local $/; my $t = <$h>; close $h;
    $t =~ s{//[^\n]*}{}g;                       # line and doc comments
    # expand `PREFIX::{a, b::c, d}` groups (one level, as written here)
    while ($t =~ /\b${prefix}::\{([^{}]*)\}/g) {
      for my $item (split /\s*,\s*/, $1) { $item =~ s/^\s+|\s+$//g; next if $item eq ""; my ($head) = $item =~ /^(\w+)/; note($from, $head) }
    }
    $t =~ s/\b${prefix}::\{[^{}]*\}//g;
    while ($t =~ /\b${prefix}::(\w+)/g) { note($from, $1) }
  }
}
my %rootitems;
sub note { my ($from, $head) = @_; my $to = exists $mods{$head} ? $head : "crate root"; return if $to eq $from; $edges{$from}{$to}++; $rootitems{$from}{$head} = 1 if $to eq "crate root" }
# a module is its file `src/m.rs`, its folder `src/m/`, or both
for my $m (sort keys %mods) { for my $p ("src/$m.rs", "src/$m") { scan($m, $p, "crate") if -e $p } }
scan("lib.rs", "src/lib.rs", "crate");
{ # lib.rs names its modules without `crate::`
  open(my $h, "<", "src/lib.rs") or die; local $/; my $t = <$h>; close $h; $t =~ s{//[^\n]*}{}g;
  for my $m (keys %mods) { my $n = () = $t =~ /(?<![\w:])${m}::/g; $edges{"lib.rs"}{$m} += $n if $n }
}
scan("main.rs", "src/main.rs", "pireport");
for my $from ((sort keys %mods), "lib.rs", "main.rs") {
  my $e = $edges{$from} or do { print "$from -> (nothing)\n"; next };
  print "$from -> ", join(", ", map { $_ eq "crate root" ? "crate root [" . join(" ", sort keys %{$rootitems{$from}}) . "] ($e->{$_})" : "$_ ($e->{$_})" . ((exists $rank{$from} && exists $rank{$_} && $rank{$_} > $rank{$from}) ? " LATER" : "") } sort keys %$e), "\n";
}
'
