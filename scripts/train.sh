#!/usr/bin/env bash
# Trains into models/ unless data, domain, config and custom components are
# unchanged since the newest model (a fingerprint file sits beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${MODELS_DIR:-models}
mkdir -p "$OUT"
# data/services/ holds the service directory's records, which Rasa skips.
fingerprint=$(cat config.yml domain.yml $(find data -name '*.yml' -not -path 'data/services/*' | sort) \
  $(find components -name '*.py' -o -name '*.yml' | sort) | sha256sum | cut -d' ' -f1)
newest=$(ls -t "$OUT"/*.tar.gz 2>/dev/null | head -n1 || true)
if [[ -n "$newest" && -f "$newest.fingerprint" && "$(cat "$newest.fingerprint")" == "$fingerprint" ]]; then
  echo "Model up to date: $newest"
  exit 0
fi
name="carer-guide-$(date +%Y%m%d-%H%M%S)"
.venv/bin/rasa train --config config.yml --domain domain.yml --data data \
  --out "$OUT" --fixed-model-name "$name" "$@"
echo "$fingerprint" > "$OUT/$name.tar.gz.fingerprint"
