#!/usr/bin/env bash
# scripts/check-orphans.sh (check.sh's last suite) names a process left
# behind with its token, and passes once it is gone; a process without the
# token (the user's) is never counted.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh
tok="orphan-test-$$-$RANDOM"
VSTRESS_CHECK_TOKEN=$tok scripts/check-orphans.sh 0 >/dev/null
check "nothing holds a fresh token: the check passes" [ $? = 0 ]
VSTRESS_CHECK_TOKEN= sleep 30 &
other=$!
VSTRESS_CHECK_TOKEN=$tok scripts/check-orphans.sh 0 >/dev/null
check "a process without the token is not counted" [ $? = 0 ]
kill "$other"
wait "$other" 2>/dev/null
VSTRESS_CHECK_TOKEN=$tok sleep 31 &
left=$!
out=$(VSTRESS_CHECK_TOKEN=$tok scripts/check-orphans.sh 0)
rc=$?
check "a process left with the token fails the check" [ $rc = 1 ]
check "and is named with its pid and command line" grep -q "left behind: pid $left: sleep 31" <<<"$out"
kill "$left"
wait "$left" 2>/dev/null
VSTRESS_CHECK_TOKEN=$tok scripts/check-orphans.sh 2 >/dev/null
check "once it is gone the check passes" [ $? = 0 ]
VSTRESS_CHECK_TOKEN= scripts/check-orphans.sh >/dev/null
check "without a token the check refuses to pass" [ $? = 1 ]
finish
