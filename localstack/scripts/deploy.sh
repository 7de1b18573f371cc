#!/usr/bin/env bash
# Bootstrap LocalStack for the CDK and deploy a project with cdklocal (the pinned CLI, wrapped).
#   bash localstack/scripts/deploy.sh                      # the fixture project "shop", stage "local"
#   PROJECT_ROOT=$PWD DEFINITIONS=examples.quickstart.definitions PROJECT_NAME=quickstart bash localstack/scripts/deploy.sh
#   SYNTH_ONLY=1 bash localstack/scripts/deploy.sh         # cdklocal synth only (no LocalStack needed)
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -x "$CDKLOCAL" ] || { echo "cdklocal missing: npm ci --prefix $REPO/infra" >&2; exit 1; }
cd "$REPO/infra"
APP="$PYTHON $REPO/infra/app.py"
CONTEXT=(-c "aloft:root=$PROJECT_ROOT" -c "aloft:definitions=$DEFINITIONS" -c "aloft:name=$PROJECT_NAME" -c "aloft:stage=$STAGE"
         -c "aloft:region=$AWS_DEFAULT_REGION" -c "aloft:account=000000000000")
if [ -n "${SYNTH_ONLY:-}" ]; then
  "$CDKLOCAL" synth --app "$APP" "${CONTEXT[@]}" --no-notices --quiet --output "$PROJECT_ROOT/cdk.out" "$STACK"
  echo "synthesized $STACK into $PROJECT_ROOT/cdk.out"
  exit 0
fi
wait_for_localstack
"$CDKLOCAL" bootstrap --app "$APP" "${CONTEXT[@]}" --no-notices "aws://000000000000/$AWS_DEFAULT_REGION"
"$CDKLOCAL" deploy --app "$APP" "${CONTEXT[@]}" --no-notices --require-approval never --output "$PROJECT_ROOT/cdk.out" "$STACK"
echo "deployed $STACK; state: $(stack_output StateUrl)?endpoint=$AWS_ENDPOINT_URL"
