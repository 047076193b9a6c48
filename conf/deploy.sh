#!/usr/bin/env bash
# Deploys Nagare to Amazon Managed Service for Apache Flink with conf/cloudformation/nagare.yaml.
# Run from anywhere; paths are relative to the repository. See README.md, "Deploying on Managed
# Service for Apache Flink", and conf/deploy.sh --help.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATE="$ROOT/conf/cloudformation/nagare.yaml"

STACK=nagare
APP=nagare
BUCKET=""
PREFIX=nagare
REGION=""
BUILD=true
DRY_RUN=false
PARAMS=()
COMMAND=""

usage() {
    cat <<'EOF'
Usage: conf/deploy.sh [options] COMMAND

Commands:
  deploy   build the jar (mvn -B -DskipTests package), upload it and sql/rules/*.sql to the
           artifact bucket, create or update the CloudFormation stack, and start the
           application (from its latest snapshot when it has one) unless it is running
  rules    validate sql/rules, upload the rules that changed, and restart the application
           from its latest snapshot so it reads them (nothing is restarted if none changed)
  start    start the application (from its latest snapshot when it has one)
  stop     stop the application; Managed Flink takes a snapshot first
  status   print the application's status and the stack's outputs

Options:
  --artifact-bucket B  bucket for the jar, the rules and the template (required; created if missing)
  --prefix P           key prefix in the artifact bucket (default: nagare)
  --stack NAME         CloudFormation stack name (default: nagare)
  --app NAME           application name, the stack parameter ApplicationName (default: nagare)
  --region R           AWS region (default: the AWS CLI's)
  --param KEY=VALUE    a stack parameter, e.g. --param WebhookSecretArn=arn:aws:secretsmanager:...
                       (repeatable; parameters not given keep their previous or default value)
  --skip-build         upload the jar already in job/target (and skip rule validation)
  --dry-run            print the commands (build, AWS CLI) instead of running them
  -h, --help           this help

Changed rules restart from the latest snapshot with AllowNonRestoredState: the state of changed or
removed rules is dropped, every other rule keeps its own (docs/RULES.md, State and rule changes).
EOF
}

die() { echo "deploy.sh: $*" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
        --artifact-bucket) BUCKET="${2:?--artifact-bucket needs a value}"; shift 2 ;;
        --prefix) PREFIX="${2:?--prefix needs a value}"; shift 2 ;;
        --stack) STACK="${2:?--stack needs a value}"; shift 2 ;;
        --app) APP="${2:?--app needs a value}"; shift 2 ;;
        --region) REGION="${2:?--region needs a value}"; shift 2 ;;
        --param) [[ "${2:-}" == *=* ]] || die "--param needs KEY=VALUE"; PARAMS+=("$2"); shift 2 ;;
        --skip-build) BUILD=false; shift ;;
        --dry-run) DRY_RUN=true; shift ;;
        -h|--help) usage; exit 0 ;;
        deploy|rules|start|stop|status) [[ -z "$COMMAND" ]] || die "one command only"; COMMAND="$1"; shift ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done
[[ -n "$COMMAND" ]] || { usage >&2; exit 2; }
PREFIX="${PREFIX%/}"
RULES_PREFIX="$PREFIX/rules/"

AWS=(aws)
[[ -n "$REGION" ]] && AWS+=(--region "$REGION")

# Every command that changes something goes through run: printed instead with --dry-run.
run() {
    if $DRY_RUN; then
        printf '%q ' "$@" | sed 's/ $//'
        echo
    else
        "$@"
    fi
}

# Read-only AWS queries; with --dry-run they are printed and the given assumption is returned.
query() {
    local assume="$1"; shift
    if $DRY_RUN; then
        { printf '%q ' "$@" | sed 's/ $//'; echo "   # dry run: assuming '$assume'"; } >&2
        echo "$assume"
    else
        "$@"
    fi
}

need_bucket() { [[ -n "$BUCKET" ]] || die "--artifact-bucket is required for '$COMMAND'"; }

app_status() {
    query READY "${AWS[@]}" kinesisanalyticsv2 describe-application --application-name "$APP" \
        --query ApplicationDetail.ApplicationStatus --output text
}

# RESTORE_FROM_LATEST_SNAPSHOT needs a snapshot; the very first start has none.
restore_type() {
    local count
    count="$(query 1 "${AWS[@]}" kinesisanalyticsv2 list-application-snapshots --application-name "$APP" \
        --query "length(SnapshotSummaries[?SnapshotStatus=='READY'])" --output text)"
    if [[ "$count" =~ ^[0-9]+$ && "$count" -gt 0 ]]; then
        echo RESTORE_FROM_LATEST_SNAPSHOT
    else
        echo SKIP_RESTORE_FROM_SNAPSHOT
    fi
}

start_app() {
    local restore
    restore="$(restore_type)"
    echo "Starting $APP ($restore)" >&2
    run "${AWS[@]}" kinesisanalyticsv2 start-application --application-name "$APP" \
        --run-configuration "{\"ApplicationRestoreConfiguration\":{\"ApplicationRestoreType\":\"$restore\"},\"FlinkRunConfiguration\":{\"AllowNonRestoredState\":true}}"
}

wait_for() {
    local want="$1" status i
    $DRY_RUN && { echo "# dry run: would wait until $APP is $want" >&2; return 0; }
    for ((i = 0; i < 90; i++)); do
        status="$(app_status)"
        [[ "$status" == "$want" ]] && return 0
        sleep 10
    done
    die "$APP is still $status after 15 minutes"
}

stop_app() {
    echo "Stopping $APP (Managed Flink takes a snapshot first)" >&2
    run "${AWS[@]}" kinesisanalyticsv2 stop-application --application-name "$APP"
    wait_for READY
}

build() {
    if $BUILD; then
        (cd "$ROOT" && run mvn -B -DskipTests package)
    fi
}

# The shaded jar (not original-*.jar, not the test jar).
find_jar() {
    local version
    version="$(sed -n 's|^    <version>\(.*\)</version>|\1|p' "$ROOT/pom.xml" | head -n 1)"
    [[ -n "$version" ]] || die "cannot read the project version from pom.xml"
    echo "$ROOT/job/target/nagare-job-$version.jar"
}

upload_rules() {
    # --delete: a rule file removed here is removed from rules.directory too (a bundled rule of
    # the same id stays in the jar). Only *.sql: the job reads nothing else there.
    run "${AWS[@]}" s3 sync "$ROOT/sql/rules/" "s3://$BUCKET/$RULES_PREFIX" \
        --exclude '*' --include '*.sql' --delete --only-show-errors
}

deploy() {
    need_bucket
    build
    local jar key digest
    jar="$(find_jar)"
    if ! $DRY_RUN; then
        [[ -f "$jar" ]] || die "$jar not found; build it first (or drop --skip-build)"
        "${AWS[@]}" s3api head-bucket --bucket "$BUCKET" 2>/dev/null || "${AWS[@]}" s3 mb "s3://$BUCKET"
        digest="$(sha256sum "$jar" | cut -c1-12)"
    else
        digest=DIGEST
    fi
    # A new key per build: CloudFormation updates the application's code only when the key changes.
    key="$PREFIX/$(basename "$jar" .jar)-$digest.jar"
    run "${AWS[@]}" s3 cp "$jar" "s3://$BUCKET/$key" --only-show-errors
    upload_rules
    run "${AWS[@]}" cloudformation deploy --stack-name "$STACK" --template-file "$TEMPLATE" \
        --s3-bucket "$BUCKET" --s3-prefix "$PREFIX/cloudformation" \
        --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
        --parameter-overrides "ApplicationName=$APP" "ArtifactBucket=$BUCKET" "JarKey=$key" \
        "RulesPrefix=$RULES_PREFIX" ${PARAMS[@]+"${PARAMS[@]}"}
    # An update of a running application restarts it from a snapshot by itself.
    local status
    status="$(app_status)"
    case "$status" in
        READY) start_app ;;
        RUNNING|STARTING|UPDATING|AUTOSCALING) echo "$APP is $status; the stack update restarts it from a snapshot" >&2 ;;
        *) die "$APP is $status; start it with '$0 start' once it is READY" ;;
    esac
}

rules() {
    need_bucket
    if $BUILD; then
        # A rule that does not plan would stop the application at start-up: check before uploading.
        (cd "$ROOT" && run mvn -B -q -Prules package -Drules.args=validate)
    fi
    local changed
    if $DRY_RUN; then
        upload_rules
        changed=yes
    else
        changed="$("${AWS[@]}" s3 sync "$ROOT/sql/rules/" "s3://$BUCKET/$RULES_PREFIX" \
            --exclude '*' --include '*.sql' --delete --no-progress)"
        [[ -n "$changed" ]] && echo "$changed" >&2
    fi
    if [[ -z "$changed" ]]; then
        echo "No rule changed in s3://$BUCKET/$RULES_PREFIX; $APP keeps running" >&2
        return 0
    fi
    local status
    status="$(app_status)"
    case "$status" in
        RUNNING) stop_app; start_app ;;
        READY) start_app ;;
        *) die "$APP is $status; the rules are uploaded, restart it with '$0 start' once it is READY" ;;
    esac
}

case "$COMMAND" in
    deploy) deploy ;;
    rules) rules ;;
    start) start_app ;;
    stop) stop_app ;;
    status)
        app_status
        run "${AWS[@]}" cloudformation describe-stacks --stack-name "$STACK" --query 'Stacks[0].Outputs' --output table
        ;;
esac
