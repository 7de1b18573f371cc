#!/usr/bin/env bash
# Bootstrap LocalStack for the CDK and deploy a project with cdklocal (the pinned CLI, wrapped).
#   bash localstack/scripts/deploy.sh                      # the fixture project "shop", stage "local"
#   PROJECT_ROOT=$PWD DEFINITIONS=examples.quickstart.definitions PROJECT_NAME=quickstart bash localstack/scripts/deploy.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
[ -x "$CDKLOCAL" ] || { echo "cdklocal missing: npm ci --prefix $REPO/infra" >&2; exit 1; }
wait_for_localstack
cd "$REPO/infra"
APP="$PYTHON $REPO/infra/app.py"
CONTEXT=(-c "aloft:root=$PROJECT_ROOT" -c "aloft:definitions=$DEFINITIONS" -c "aloft:name=$PROJECT_NAME" -c "aloft:stage=$STAGE"
         -c "aloft:region=$AWS_DEFAULT_REGION" -c "aloft:account=000000000000")
"$CDKLOCAL" bootstrap --app "$APP" "${CONTEXT[@]}" --no-notices "aws://000000000000/$AWS_DEFAULT_REGION"
"$CDKLOCAL" deploy --app "$APP" "${CONTEXT[@]}" --no-notices --require-approval never --output "$PROJECT_ROOT/cdk.out" "$STACK"
echo "deployed $STACK; state: $(stack_output StateUrl)?endpoint=$AWS_ENDPOINT_URL"
