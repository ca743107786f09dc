#!/bin/sh
# Starts the component named by $SERVICE (build arg or runtime env); exec so signals reach node.
set -eu
case "${SERVICE:-}" in
  gateway|leads|voice|whatsapp|analytics|retention) exec node --import tsx --import "./services/${SERVICE}/src/instrument.ts" "services/${SERVICE}/src/main.ts" ;;
  simulator) exec node --import tsx tools/simulator/src/main.ts ;;
  *) echo "parley-start: unknown SERVICE '${SERVICE:-}' (gateway|leads|voice|whatsapp|analytics|retention|simulator)" >&2; exit 64 ;;
esac
