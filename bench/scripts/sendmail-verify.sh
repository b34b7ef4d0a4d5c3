#!/bin/bash
# Verification through real Sendmail 8.17: see mta-verify.sh.
MESSAGES=${MESSAGES:-400} MTA=sendmail exec "$(dirname "$0")/mta-verify.sh" "$@"
