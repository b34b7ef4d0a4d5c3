#!/usr/bin/env python3
"""Writes the seed corpora fuzz/corpus/<target>/ from the repository's real test data (tests/data/...).

Run once before the first fuzzing run (the committed corpora are these seeds plus what AFL++ found,
minimized with afl-cmin). Seeds are named seed-<source>; files already present are kept.
"""
import hashlib, json, os, re, struct, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:60]
    path = os.path.join(d, f"seed-{safe}-{hashlib.sha1(data).hexdigest()[:8]}")
    with open(path, "wb") as f:
        f.write(data)


def frame(cmd, data=b""):
    payload = cmd.encode() + data
    return struct.pack(">I", len(payload)) + payload


def z(*parts):
    return b"".join(p.encode() + b"\0" for p in parts)


def split_message(raw):
    raw = raw.replace(b"\r\n", b"\n")
    head, _, body = raw.partition(b"\n\n")
    fields = []
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t") and fields:
            fields[-1][1] += b"\r\n" + line
        elif b":" in line:
            name, _, value = line.partition(b":")
            fields.append([name, value])
    return fields, body.replace(b"\n", b"\r\n")


def conversation(fields, body, client_ip, mail_from, leadspace=False):
    """What a Postfix-like MTA writes for one message (protocol v6, all actions offered)."""
    proto = 0x100000 if leadspace else 0  # SMFIP_HDR_LEADSPC
    out = frame("O", struct.pack(">III", 6, 0x1FF, proto))
    out += frame("D", b"C" + z("j", "mx.example.net", "{daemon_name}", "MTA"))
    out += frame("C", z("client.example.com") + b"4" + struct.pack(">H", 40000) + z(client_ip))
    out += frame("H", z("client.example.com"))
    out += frame("D", b"M" + z("i", "4AbC1", "{auth_authen}", ""))
    out += frame("M", z(f"<{mail_from}>", "SIZE=100"))
    out += frame("R", z("<rcpt@example.net>"))
    out += frame("T")
    for name, value in fields:
        out += frame("L", name + b"\0" + value.lstrip(b" ") + b"\0")
    out += frame("N")
    for i in range(0, len(body), 2048):
        out += frame("B", body[i:i + 2048])
    out += frame("D", b"E" + z("i", "4AbC1"))
    out += frame("E")
    out += frame("Q")
    return out


def main():
    vectors = json.load(open(os.path.join(DATA, "milter", "vectors.json")))
    every = b""
    for c in vectors["commands"]:
        packet = bytes.fromhex(c["packet_hex"])
        write("milter-frames", c["id"], packet)
        every += packet
    for p in vectors["packets"]:
        hexes = [p.get(k) for k in ("stream_hex", "expected_stream_hex", "payload_hex")]
        if p.get("length") is not None:
            hexes.append("%08x4f" % (p["length"] & 0xFFFFFFFF))
        for h in hexes:
            if h:
                write("milter-frames", p["id"], bytes.fromhex(h))
    write("milter-frames", "all-commands", every)

    messages = []
    for folder in ("messages", "dkim"):
        d = os.path.join(DATA, "domainkeys", folder)
        for name in sorted(os.listdir(d)):
            raw = open(os.path.join(d, name), "rb").read()
            if len(raw) < 6000:
                messages.append((name, raw))

    for name, raw in messages:
        fields, body = split_message(raw)
        if name.startswith(("good_dk", "dk_", "bad_dk")):
            write("milter-session", name + "-in", conversation(fields, body, "192.0.2.1", "user@example.org"))
        for fname, value in fields:
            if fname.lower() == b"domainkey-signature":
                write("dk-tags", name, value)
        header_block = b"\r\n".join(n + b":" + v for n, v in fields)
        if name.startswith(("good_dk", "dk_headers", "bad_1.", "good_ietf")):
            write("pra", name, header_block)
    out_msg = b"From: Alice <alice@example.com>\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n"
    fields, body = split_message(out_msg)
    write("milter-session", "sign-internal", conversation(fields, body, "127.0.0.1", "alice@example.com", leadspace=True))
    write("milter-session", "spf-external", conversation(fields, body, "192.0.2.1", "alice@example.com"))

    dns = json.load(open(os.path.join(DATA, "domainkeys", "dns.json")))
    for owner, rr in dns["records"].items():
        if isinstance(rr, dict) and isinstance(rr.get("TXT"), str):
            write("dk-tags", owner, rr["TXT"])

    records, macros = set(), set()
    for suite in ("rfc7208-tests.json", "rfc4408-tests.json", "pyspf-test.json", "mail-spf-iterator-misc.json"):
        data = json.load(open(os.path.join(DATA, "spf", suite)))
        for scenario in data["scenarios"]:
            for entries in (scenario.get("zonedata") or {}).values():
                for e in entries:
                    if not isinstance(e, dict):
                        continue
                    for key in ("SPF", "TXT"):
                        v = e.get(key)
                        if isinstance(v, list):
                            v = "\0".join(v)
                        if isinstance(v, str):
                            records.add(v)
                            for m in re.findall(r"[:=](\S*%\S*)", v):
                                macros.add(m)
                            if key == "TXT" and "%" in v:
                                macros.add(v)
    for r in sorted(records)[:250]:
        write("spf-record", "rec", r)
    sid = json.load(open(os.path.join(DATA, "senderid", "cases.json")))
    for case in sid["cases"]:
        for strings in case.get("dns", {}).values():
            for s in strings:
                if isinstance(s, str) and s.startswith(("v=spf1", "spf2.0")):
                    write("spf-record", "sid", s)
    for m in sorted(macros) + ["%{s}", "%{o}", "%{d}", "%{d4}", "%{d3}", "%{d2}", "%{d1}", "%{dr}", "%{d2r}",
                               "%{l}", "%{l-}", "%{lr}", "%{lr-}", "%{l1r-}", "%{ir}.%{v}._spf.%{d2}",
                               "%{lr-}.lp._spf.%{d2}", "%{l1r-}.lp.%{ir}.%{v}._spf.%{d2}", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
                               "%{d2}.trusted-domains.example.net", "%{c} %{r} %{t} %{p} %{h} %{i}%%%_%-", "%{S}%{L}%{O}%{D}%{I}%{P}%{H}%{V}%{C}%{R}%{T}"]:
        write("spf-macro", "macro", m)

    authres = json.load(open(os.path.join(DATA, "authres", "cases.json")))
    for group in ("valid", "invalid", "lenient"):
        for case in authres[group]:
            header = case["header"]
            write("authres", case["id"], header.split(":", 1)[1] if group != "invalid" or ":" in header else header)

    for block in [
        "Resent-Sender: a@r.example\r\nResent-From: b@r.example\r\nFrom: c@example.com\r\n",
        "Resent-From: b@r.example\r\nReceived: from x\r\nResent-Sender: a@r.example\r\nFrom: c@example.com\r\n",
        "Sender: \"Bob, the\" <bob@example.org>\r\nFrom: a@example.com, c@example.com\r\n",
        "From: group: a@example.com, b@example.com;\r\n",
        "From: =?utf-8?q?J=C3=B6rg?= <j@[192.0.2.1]>\r\nSender: (comment) x@example.com (more)\r\n",
        "From: \"quoted @ local\"@example.com\r\n",
    ]:
        write("pra", "crafted", block)


if __name__ == "__main__":
    sys.exit(main())
