#!/bin/sh
# Folds what AFL++ found for TARGET into the committed corpus: afl-cmin keeps the inputs that add
# coverage; new ones are named afl-<sha1> (no ':' in names), seeds (seed-*) and findings (finding-*)
# stay, and at most MAX (default 275) new files are kept, the smallest first.
#   fuzz/fold-corpus.sh TARGET [MAX]
set -eu
cd "$(dirname "$0")"
target=${1:?usage: fold-corpus.sh TARGET [MAX]}
max=${2:-275}
export AFL_SKIP_BIN_CHECK=1
rm -rf "findings/min-$target"
afl-cmin -i "findings/$target/default/queue" -o "findings/min-$target" -t 5000 -m none \
    -- "$(readlink -f "$(command -v dotnet)")" instrumented/Milters.Fuzz.dll "$target"
rm -f corpus/"$target"/afl-*
ls -S -r "findings/min-$target" | grep -v -E 'orig:(seed|finding)-' | head -n "$max" | while read -r f; do
    cp "findings/min-$target/$f" "corpus/$target/afl-$(sha1sum "findings/min-$target/$f" | cut -c1-12)"
done
echo "corpus/$target: $(ls "corpus/$target" | wc -l) files"
