#!/bin/sh
# Functions of src/ longer than 80 lines (issue 12), longest first:
#   scripts/long-functions.sh
# A function runs from its `fn` line to the closing brace at the same
# indentation (rustfmt's layout). A long one should say why in a comment.
set -eu
cd "$(dirname "$0")/.."
find src -name '*.rs' | sort | xargs perl -e '
while (<>) {
  if (/^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:const\s+)?(?:unsafe\s+)?fn\s+(\w+)/ && !/;\s*$/) { push @st, [length($1), $2, $.]; }
  if (@st && /^(\s*)\}/ && length($1) == $st[-1][0]) { my $f = pop @st; my $n = $. - $f->[2] + 1; print "$n\t$ARGV:$f->[2]\t$f->[1]\n" if $n > 80; }
  if (eof) { close ARGV; @st = (); }
}' | sort -rn
