-- wrk script: every request is a PROPFIND with `Depth: 1` (bench/run.sh, scenario dav).
--
--   PROPFIND_XML  the request body; empty or unset: no body (RFC 4918: means allprop).
--                 run.sh sets it from PROPFIND_BODY (allprop, prop or empty) and sends the
--                 same body once with curl first, to check the 207 and its 1,001 responses.
--
-- Headers given to wrk with -H (Authorization) are kept. No response() hook: parsing
-- every multistatus in Lua would make the pinned client the bottleneck.

local body = os.getenv("PROPFIND_XML") or ""

wrk.method = "PROPFIND"
wrk.headers["Depth"] = "1"
if body ~= "" then
   wrk.headers["Content-Type"] = "application/xml; charset=utf-8"
   wrk.body = body
end
