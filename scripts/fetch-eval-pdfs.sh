#!/usr/bin/env bash
# Fetches the Debian packages whose PDFs the retrieval evaluations use (eval/questions-docs.json and
# scripts/eval-cross-script.ts), and extracts just those PDFs into .cache/eval-pdfs/ (ignored by git). Needs apt-get (Debian's package index;
# run `apt-get update` once first) and dpkg-deb. Idempotent: PDFs already present are not fetched again.
#   bash scripts/fetch-eval-pdfs.sh [DEST]
# The package versions are the ones the questions' pages were verified against (Debian 12 "bookworm");
# another version may move pages, so the script says when the size of a PDF differs from the verified one.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$root/.cache/eval-pdfs}"
mkdir -p "$dest"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod a+rwx "$work" # apt-get download runs as the _apt user where it can

# package | path inside the package | file name in DEST | verified size in bytes
files=(
  "r-doc-pdf|./usr/share/R/doc/manual/R-intro.pdf|R-intro.pdf|632012"
  "r-doc-pdf|./usr/share/R/doc/manual/R-FAQ.pdf|R-FAQ.pdf|370129"
  "gnuplot-doc|./usr/share/doc/gnuplot/gnuplot.pdf|gnuplot.pdf|1278455"
  "asymptote-doc|./usr/share/doc/asymptote/asymptote.pdf|asymptote.pdf|1287578"
  "texlive-lang-chinese|./usr/share/doc/texlive-doc/latex/lshort-chinese/lshort-zh-cn.pdf|lshort-zh-cn.pdf|1472258"
  "texlive-lang-chinese|./usr/share/doc/texlive-doc/latex/ctex-faq/ctex-faq.pdf|ctex-faq.pdf|618323"
  "texlive-lang-chinese|./usr/share/doc/texlive-doc/latex/install-latex-guide-zh-cn/install-latex-guide-zh-cn.pdf|install-latex-guide-zh-cn.pdf|781762"
  # The same manual in Simplified and Traditional Chinese (scripts/eval-cross-script.ts).
  "debmake-doc|./usr/share/doc/debmake-doc/debmake-doc.zh-cn.pdf|debmake-doc.zh-cn.pdf|1212191"
  "debmake-doc|./usr/share/doc/debmake-doc/debmake-doc.zh-tw.pdf|debmake-doc.zh-tw.pdf|1314457"
)

for entry in "${files[@]}"; do
  IFS='|' read -r pkg path name size <<<"$entry"
  if [[ -s "$dest/$name" ]]; then continue; fi
  deb="$(ls "$work"/"${pkg}"_*.deb 2>/dev/null | head -n1 || true)"
  if [[ -z "$deb" ]]; then
    echo "fetching $pkg ..." >&2
    if ! (cd "$work" && apt-get download "$pkg" >/dev/null); then
      echo "apt-get download $pkg failed: run 'apt-get update' first (needs Debian's package index)." >&2
      exit 1
    fi
    deb="$(ls "$work"/"${pkg}"_*.deb | head -n1)"
  fi
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "$path" >"$dest/$name.part"
  mv "$dest/$name.part" "$dest/$name"
  got="$(stat -c %s "$dest/$name")"
  if [[ "$got" != "$size" ]]; then
    echo "warning: $name is $got bytes, the questions were verified on $size bytes (another package version?): pages may differ." >&2
  fi
done
echo "evaluation PDFs in $dest:" >&2
ls -l "$dest" >&2
