#!/bin/sh
# Functions of src/ longer than 80 lines (issue 12), longest first:
#   scripts/long-functions.sh
# A function runs from its `fn` line to the closing brace at the same
# indentation (rustfmt's layout). A long one should say why in a comment
# directly above it (among its doc comments and attributes), starting
# `// Long because:` (or `// Long on purpose:`). Informational: the
# functions without a reason come first, then those with one, then the
# count of each; the exit status is 0 either way.
set -eu
cd "$(dirname "$0")/.."
find src -name '*.rs' | sort | xargs perl -e '
my (@st, @above, @bare, @reasoned);
while (<>) {
  if (/^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:const\s+)?(?:unsafe\s+)?fn\s+(\w+)/ && !/;\s*$/) {
    # the comments and attributes right above the `fn` line
    my $why = grep { m{^\s*//\s*Long (?:because|on purpose)\b}i } @above;
    push @st, [length($1), $2, $., $why];
  }
  if (@st && /^(\s*)\}/ && length($1) == $st[-1][0]) {
    my $f = pop @st; my $n = $. - $f->[2] + 1;
    push @{ $f->[3] ? \@reasoned : \@bare }, [$n, "$n\t$ARGV:$f->[2]\t$f->[1]\n"] if $n > 80;
  }
  if (m{^\s*(?://|#\[)}) { push @above, $_ } else { @above = () }
  if (eof) { close ARGV; @st = (); @above = () }
}
my $by = sub { $b->[0] <=> $a->[0] or $a->[1] cmp $b->[1] };
print "Without a stated reason:\n", map { $_->[1] } sort $by @bare;
print "\nWith a stated reason (// Long because: ...):\n", map { $_->[1] } sort $by @reasoned;
printf "\n%d without a reason, %d with one\n", scalar @bare, scalar @reasoned;
'
