-- wrk script: signed Telegram text updates, each with its own update_id and message_id,
-- spread over `conversations` chats. Thread n numbers its updates n, n+T, n+2T, ...
local threads = {}
local counter = 0

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  step = tonumber(os.getenv("WRK_THREADS") or "1")
  conversations = tonumber(os.getenv("BENCH_CONVERSATIONS") or "1000")
  secret = os.getenv("BENCH_SECRET") or "bench-secret"
  base = tonumber(os.getenv("BENCH_BASE") or "1")
  counter = offset
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-Telegram-Bot-Api-Secret-Token"] = secret
end

function request()
  counter = counter + step
  local id = base + counter
  local chat = 100000 + (id % conversations)
  local body = string.format(
    '{"update_id":%d,"message":{"message_id":%d,"date":1700000000,' ..
    '"chat":{"id":%d,"type":"private","first_name":"Bench"},' ..
    '"from":{"id":%d,"is_bot":false,"first_name":"Bench"},"text":"message %d"}}',
    id, id, chat, chat, id)
  return wrk.format(nil, "/webhooks/telegram", nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("JSON {\"requests\":%d,\"non2xx\":%d,\"errors\":%d,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"seconds\":%.3f}\n",
    summary.requests, summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.duration / 1e6))
end
