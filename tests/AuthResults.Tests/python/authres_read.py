# Reads a JSON array of Authentication-Results fields (unfolded) on stdin and prints, as a JSON array,
# what Debian's python3-authres makes of each: the authserv-id and every result with its properties,
# or the error it raised. Used by PythonAuthresTests as an independent parser.
import json
import sys

import authres

out = []
for field in json.load(sys.stdin):
    try:
        h = authres.AuthenticationResultsHeader.parse(field)
        out.append({
            "ok": True,
            "authserv_id": h.authserv_id,
            "results": [
                {
                    "method": r.method,
                    "result": r.result,
                    "reason": r.reason,
                    "properties": [{"ptype": p.type, "property": p.name, "value": p.value} for p in r.properties],
                }
                for r in h.results
            ],
        })
    except Exception as e:  # any failure is a finding for the test, reported with its text
        out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
json.dump(out, sys.stdout)
