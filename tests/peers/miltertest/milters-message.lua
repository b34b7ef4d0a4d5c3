-- milters-message.lua - miltertest script: drives any milter through one full message
-- (connect/helo/envfrom/rcpt/header*5/eoh/body/eom) and checks the outcome:
--   -D expect=accept   (default) the message is accepted at end of message and, when -D header=NAME is
--                      given, a header NAME was added or inserted (with -D value=TEXT: its value contains TEXT)
--   -D expect=reject   some step was answered with a 5xx (SMFIR_REJECT or a 5xx SMFIR_REPLYCODE)
--   -D expect=tempfail some step was answered with a 4xx (SMFIR_TEMPFAIL or a 4xx SMFIR_REPLYCODE)
--   -D reply="550 5.7.1 text"  with reject/tempfail: the exact SMFIR_REPLYCODE expected
--
-- run:  miltertest -s milters-message.lua -D socket=inet:8891@127.0.0.1 -D header=X-Stamp [-D value=ok]
-- Honours the SMFIP_NO* (step negotiated away) and SMFIP_NR_* (no reply) bits the milter negotiated,
-- and SMFIP_HDR_LEADSPC (the space after the colon travels with the value).

local socket = socket or "inet:8891@127.0.0.1"
local expect = expect or "accept"
local header = header
local value  = value
local from   = from or "alice@example.com"
local reply  = reply

-- miltertest exits 1 on error() without printing the message: echo it first
local function fail(msg)
  mt.echo("*** FAIL: " .. msg)
  error(msg)
end

local function ok(rc, what)
  if rc ~= nil then fail(what .. " failed: " .. tostring(rc)) end
end

local names = {
  [SMFIR_CONTINUE] = "CONTINUE", [SMFIR_ACCEPT] = "ACCEPT", [SMFIR_REJECT] = "REJECT",
  [SMFIR_TEMPFAIL] = "TEMPFAIL", [SMFIR_DISCARD] = "DISCARD", [SMFIR_REPLYCODE] = "REPLYCODE",
}
local function name(r) return names[r] or tostring(r) end

-- the first terminal answer (anything but CONTINUE) ends the message; remember where
local verdict, verdict_step = nil, nil

local function step(conn, what, noopt, nropt, fn, ...)
  if verdict ~= nil then return end
  if noopt ~= nil and mt.test_option(conn, noopt) then
    mt.echo("    " .. what .. ": skipped, milter negotiated it away")
    return
  end
  ok(fn(conn, ...), what)
  if nropt ~= nil and mt.test_option(conn, nropt) then return end
  local r = mt.getreply(conn)
  if r ~= SMFIR_CONTINUE then verdict, verdict_step = r, what end
end

mt.echo("*** connecting to " .. socket)
local okc, conn = pcall(mt.connect, socket, 40, 0.25)   -- 40 tries, 0.25 s apart
if not okc or conn == nil then fail("mt.connect(" .. socket .. ") failed: " .. tostring(conn)) end

-- macros as Postfix/Sendmail send them
mt.macro(conn, SMFIC_CONNECT, "j", "mta.peers.test", "{daemon_name}", "MTA",
         "_", "localhost [127.0.0.1]", "{client_addr}", "127.0.0.1")
step(conn, "connect", SMFIP_NOCONNECT, SMFIP_NR_CONN, mt.conninfo, "localhost", "127.0.0.1")
step(conn, "helo", SMFIP_NOHELO, SMFIP_NR_HELO, mt.helo, "client.example.com")
mt.macro(conn, SMFIC_MAIL, "i", "MT0001")
step(conn, "envfrom", SMFIP_NOMAIL, SMFIP_NR_MAIL, mt.mailfrom, "<" .. from .. ">")
step(conn, "envrcpt", SMFIP_NORCPT, SMFIP_NR_RCPT, mt.rcptto, "<bob@example.org>")

local sp = mt.test_option(conn, SMFIP_HDR_LEADSPC) and " " or ""
local headers = {
  { "From", "Alice <" .. from .. ">" },
  { "To", "Bob <bob@example.org>" },
  { "Subject", "miltertest message" },
  { "Date", "Tue, 22 Dec 2009 13:04:12 -0800" },
  { "Message-ID", "<miltertest-1@example.com>" },
}
for _, h in ipairs(headers) do
  step(conn, "header " .. h[1], SMFIP_NOHDRS, SMFIP_NR_HDR, mt.header, h[1], sp .. h[2])
end
step(conn, "eoh", SMFIP_NOEOH, SMFIP_NR_EOH, mt.eoh)
step(conn, "body", SMFIP_NOBODY, SMFIP_NR_BODY, mt.bodystring, "Hello Bob,\r\n\r\na test message.\r\n")

if verdict == nil then
  ok(mt.eom(conn), "mt.eom")
  verdict, verdict_step = mt.getreply(conn), "eom"
end
mt.echo("    verdict " .. name(verdict) .. " at " .. verdict_step)

-- the SMTP class of a verdict: 2 accept, 4 tempfail, 5 reject. A REPLYCODE carries its own code, but
-- miltertest 1.x matches a requested reply only when given code, enhanced code AND text
-- (mt.eom_check(MT_SMTPREPLY, "550") is false for "550 5.7.1 text"): -D reply="550 5.7.1 text" names the
-- exact reply; without it a REPLYCODE counts as the class that was expected.
local function class(r)
  if r == SMFIR_ACCEPT or r == SMFIR_CONTINUE then return 2 end
  if r == SMFIR_TEMPFAIL then return 4 end
  if r == SMFIR_REJECT then return 5 end
  if r == SMFIR_REPLYCODE then
    if reply == nil then
      mt.echo("    REPLYCODE: reply text not checked (no -D reply=)")
      return (expect == "tempfail") and 4 or 5
    end
    local code, esc, text = string.match(reply, "^(%d%d%d) (%S+) (.*)$")
    if code == nil then fail("-D reply= must be 'CODE X.Y.Z text', got '" .. reply .. "'") end
    if not mt.eom_check(conn, MT_SMTPREPLY, code, esc, text) then
      fail("the milter's reply is not '" .. reply .. "'")
    end
    return tonumber(string.sub(code, 1, 1))
  end
  return 0
end

if expect == "accept" then
  if class(verdict) ~= 2 or verdict_step ~= "eom" then
    fail("expected the message to be accepted at eom, got " .. name(verdict) .. " at " .. verdict_step)
  end
  if header ~= nil then
    if not (mt.eom_check(conn, MT_HDRINSERT, header) or mt.eom_check(conn, MT_HDRADD, header)) then
      fail("no " .. header .. " header was added")
    end
    local got = mt.getheader(conn, header, 0)
    mt.echo(header .. ": " .. tostring(got))
    if value ~= nil and (got == nil or not string.find(got, value, 1, true)) then
      fail(header .. " value '" .. tostring(got) .. "' does not contain '" .. value .. "'")
    end
  end
elseif expect == "reject" then
  if class(verdict) ~= 5 then fail("expected a reject, got " .. name(verdict) .. " at " .. verdict_step) end
elseif expect == "tempfail" then
  if class(verdict) ~= 4 then fail("expected a tempfail, got " .. name(verdict) .. " at " .. verdict_step) end
else
  fail("unknown -D expect=" .. expect)
end

mt.disconnect(conn)
mt.echo("*** PASS: " .. expect .. (header and (" with " .. header) or ""))
