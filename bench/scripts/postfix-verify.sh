#!/bin/bash
# Verification through real Postfix: see mta-verify.sh.
MTA=postfix exec "$(dirname "$0")/mta-verify.sh" "$@"
