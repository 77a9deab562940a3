"""What an operator does to jobs, queues and workers: the one implementation the CLI and console share.

A job action works on a chunk of ids from one source (a queue or one of its registries) in one Lua
script: each job is checked and moved atomically (the script runs as a whole, so a chunk is never half
done and no job is ever in two places or none), and each id comes back with 'ok' or the reason it was
left alone ('vanished', 'moved: started', ...). The scripts write what RQ's own calls write
(FailedJobRegistry.requeue, Job.cancel, Job.delete), read the job hash without unpickling anything, and
so also work on jobs whose payload no longer decodes. Jobs under an RQ rate limit get the same scripts
plus what RQ 3.0 does for their slots (rq.rate_limit: a requeued job waits in its limit's
rate-limited set and takes a free slot; a canceled or deleted one frees its slot and promotes the
next): RQ's own calls (Job.fetch, registry.requeue, job.cancel) would unpickle the job's meta, which
may be anything.

Worker and queue actions publish RQ's own commands (rq.command) or set RQ's suspension key.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis
from rq.command import send_command, send_kill_horse_command, send_shutdown_command
from rq.group import Group
from rq.queue import Queue
from rq.results import Result
from rq.suspension import WORKERS_SUSPENDED, resume, suspend
from rq.utils import now, utcformat

from queuetui.rqdata import keys
from queuetui.rqdata.fields import text
from queuetui.rqdata.rows import job_id_of

OK = "ok"


class ActionError(Exception):
    """An action that cannot be done at all (bad target, unknown worker); one line for people."""


@dataclass(frozen=True)
class Source:
    """Where jobs are taken from: a queue ('waiting') or one of its registries."""

    queue: str
    registry: str

    @property
    def key(self) -> str:
        return keys.queue_key(self.queue) if self.is_list else keys.registry_key(self.queue, self.registry)

    @property
    def is_list(self) -> bool:
        return self.registry == "waiting"

    def __str__(self) -> str:
        return f"{self.queue} {self.registry}"


@dataclass(frozen=True)
class Options:
    to: str = ""
    """Destination queue (requeue, move); empty means the job's own queue."""
    at_front: bool = False
    """Push to the front of the queue (retry, requeue, move)."""
    dependents: bool = False
    """Also cancel or delete the jobs that depend on each job, transitively."""


@dataclass
class ChunkResult:
    codes: list[str]
    """Per id, in order: 'ok' or why the job was left alone."""
    dependents: list[str] = field(default_factory=list)
    """Dependent jobs acted on too (cancel and delete with dependents)."""


# The RQ status each registry's jobs have, and back: where a job with a status sits in its queue.

OOM_PROBE_KEY = "queuetui:write-probe"
"""Never created: the scripts' ZADD XX to it asks Redis whether it takes writes (see refused_write)."""
_EMPTY_EXC_INFO = zlib.compress(b"")  # what RQ's requeue leaves in exc_info (job._exc_info = '')


def _lua_string(value: str) -> str:
    return json.dumps(value)


def _prelude() -> str:
    """Key names and helpers every action script shares, taken from RQ so a custom prefix is honoured."""
    registries = {
        status: keys.registry_key("", reg) for status, reg in keys.STATUS_REGISTRY.items() if reg != "waiting"
    }
    table = ", ".join(f"[{_lua_string(s)}] = {_lua_string(prefix)}" for s, prefix in registries.items())
    config, allowed, limited = keys.rate_limit_keys("\0")
    rl_prefix, allowed_suffix, limited_suffix = config[:-1], allowed[len(config) :], limited[len(config) :]
    return f"""
local JOB, QUEUE = {_lua_string(keys.JOB_PREFIX)}, {_lua_string(keys.QUEUE_PREFIX)}
local QUEUES = {_lua_string(keys.QUEUES_SET)}
local RL, RL_KEYS = {_lua_string(rl_prefix)}, {_lua_string(keys.RATE_LIMIT_KEYS_SET)}
local ALLOWED, LIMITED = {_lua_string(allowed_suffix)}, {_lua_string(limited_suffix)}
local RESULTS, EXECUTIONS = {_lua_string(Result.get_key(""))}, {_lua_string(keys.EXECUTIONS_PREFIX)}
local EXECUTION, GROUP = {_lua_string(keys.EXECUTION_PREFIX)}, {_lua_string(Group.REDIS_GROUP_NAME_PREFIX)}
local REGISTRY = {{{table}}}

-- Whether the server takes writes now, asked before any write (nil when it does, else its error
-- reply): out of memory under maxmemory with noeviction, Redis refuses a script's first write that
-- could grow memory and then lets every later one through, so a chunk would stop after its first
-- ZREM/LREM or, worse, go through whole while memory is short. ZADD XX of a missing key writes
-- nothing but is refused the same way, so a refused chunk is left entirely as it was. The reply
-- keeps Redis's own error code (Redis 6 prefixes a script's errors with where they occurred).
local function refused_write()
  local probe = redis.pcall('ZADD', {_lua_string(OOM_PROBE_KEY)}, 'XX', 0, 'probe')
  if type(probe) == 'table' and probe.err then
    return redis.error_reply(string.match(probe.err, '^@user_script:%s*%d+:%s*%-(.*)$') or probe.err)
  end
end

local function dependents_key(id) return JOB .. id .. ':dependents' end
local function dependencies_key(id) return JOB .. ':' .. id .. ':dependencies' end  -- RQ's spelling

-- The job's RQ rate limit as RQ reads it (Job.has_rate_limit: a key and a non-zero concurrency):
-- (key, concurrency), (nil, nil) when it has none, (nil, reason) when it cannot be read.
local function rate_limit(id)
  local fields = redis.call('HMGET', JOB .. id, 'rate_limit_key', 'rate_limit_concurrency')
  local limit, concurrency = fields[1], fields[2]
  if not limit or limit == '' or not concurrency or concurrency == '' then return nil, nil end
  if not string.match(concurrency, '^%s*[-+]?%d+%s*$') or #concurrency > 15 then
    return nil, 'rate-limited job: its rate_limit_concurrency is not a whole number'
  end
  local n = tonumber(concurrency)
  if n == 0 then return nil, nil end  -- int('0') is falsy: RQ treats the job as not rate-limited
  return limit, n
end

-- '' when the job can be acted on here, else the reason it is left alone; then its rate limit.
local function check(id)
  local kind = redis.call('TYPE', JOB .. id)['ok']
  if kind == 'none' then return 'vanished' end
  if kind ~= 'hash' then return 'unreadable: its key holds a ' .. kind end
  local limit, concurrency = rate_limit(id)
  if not limit and concurrency then return concurrency end
  return '', limit, concurrency
end

-- RQ's ACQUIRE_AND_ENQUEUE_SCRIPT (rq.rate_limit): fill the free slots of a limit with its waiting
-- jobs, oldest first. A stale entry (no hash, no origin, not rate_limited) is dropped, as RQ does;
-- one whose key is not a hash too (RQ's script would stop halfway there).
local function acquire(limit, concurrency, timestamp, enqueued_at)
  local allowed, limited = RL .. limit .. ALLOWED, RL .. limit .. LIMITED
  while redis.call('ZCARD', allowed) < concurrency do
    local popped = redis.call('ZPOPMIN', limited)
    if #popped == 0 then break end
    local id = popped[1]
    local fields = redis.pcall('HMGET', JOB .. id, 'origin', 'status', 'enqueue_at_front')
    if not fields.err and fields[1] and fields[2] == 'rate_limited' then
      redis.call('ZADD', allowed, timestamp, id)
      redis.call(fields[3] == '1' and 'LPUSH' or 'RPUSH', QUEUE .. fields[1], id)
      redis.call('HSET', JOB .. id, 'status', 'queued', 'enqueued_at', enqueued_at)
    end
  end
end

-- RateLimitRegistry.cancel (RELEASE_STALE_AND_ENQUEUE_SCRIPT): after a job was canceled or deleted
-- it leaves its limit's waiting set, and its slot, unless it still runs, goes to the next job.
local function release_slot(id, limit, timestamp, enqueued_at)
  redis.call('ZREM', RL .. limit .. LIMITED, id)
  local st = redis.call('HGET', JOB .. id, 'status')
  if st == 'queued' or st == 'started' then return end
  if redis.call('ZCOUNT', EXECUTIONS .. id, '(' .. timestamp, '+inf') > 0 then return end
  if redis.call('ZREM', RL .. limit .. ALLOWED, id) == 0 then return end
  local configured = redis.pcall('HGET', RL .. limit, 'concurrency')
  local concurrency = type(configured) == 'string' and tonumber(configured) or 0
  acquire(limit, concurrency, timestamp, enqueued_at)
end

local function status(id)
  return redis.call('HGET', JOB .. id, 'status') or ''
end

local function remove(source, is_list, id)
  if is_list then return redis.call('LREM', source, 1, id) end
  return redis.call('ZREM', source, id)
end

-- Take a job out of wherever its status says it is (a dependent, whose place we were not told).
local function unplace(id)
  local st, origin = unpack(redis.call('HMGET', JOB .. id, 'status', 'origin'))
  if not origin then return end
  if st == 'queued' then redis.call('LREM', QUEUE .. origin, 1, id)
  elseif st and REGISTRY[st] and st ~= 'started' then redis.call('ZREM', REGISTRY[st] .. origin, id) end
end

-- What Job.delete removes: the hash, its dependents and dependencies sets, results, executions, group.
-- A rate-limited job keeps its executions (RQ: a live one still holds its slot) and frees its slot.
local function delete_job(id, timestamp, enqueued_at)
  local limit = rate_limit(id)
  local group = redis.call('HGET', JOB .. id, 'group_id')
  if group and group ~= '' then redis.call('SREM', GROUP .. group, id) end
  if not limit then
    for _, execution in ipairs(redis.call('ZRANGE', EXECUTIONS .. id, 0, -1)) do
      redis.call('DEL', EXECUTION .. id .. ':' .. execution)
    end
    redis.call('DEL', EXECUTIONS .. id)
  end
  redis.call('DEL', JOB .. id, dependents_key(id), dependencies_key(id), RESULTS .. id)
  if limit then release_slot(id, limit, timestamp, enqueued_at) end
end

-- The jobs that depend on `id`, transitively, each once, that `wanted(dependent)` accepts.
local function dependents(id, wanted)
  local found, seen, stack = {{}}, {{[id] = true}}, {{id}}
  while #stack > 0 do
    local current = table.remove(stack)
    for _, dependent in ipairs(redis.call('SMEMBERS', dependents_key(current))) do
      if not seen[dependent] then
        seen[dependent] = true
        if redis.call('TYPE', JOB .. dependent)['ok'] == 'hash' and wanted(dependent) then
          found[#found + 1] = dependent
          stack[#stack + 1] = dependent
        end
      end
    end
  end
  return found
end
"""


_REQUEUE = """
-- ARGV: source key, is list, destination queue ('' = each job's own), at front, enqueued_at,
-- fresh ('1': reset started/ended/exc_info as RQ's requeue does; '0': a waiting job moved), exc_info,
-- detach ('1': a deferred job released: it leaves the dependents sets of what it waited on),
-- timestamp (RQ's current_timestamp), default timeout, ids...
local source, is_list, dest, at_front = ARGV[1], ARGV[2] == '1', ARGV[3], ARGV[4] == '1'
local enqueued_at, fresh, exc_info, detach = ARGV[5], ARGV[6] == '1', ARGV[7], ARGV[8] == '1'
local timestamp, default_timeout = ARGV[9], ARGV[10]
local refused = refused_write()
if refused then return refused end
local codes = {}
for i = 11, #ARGV do
  local id = ARGV[i]
  local code, limit, concurrency = check(id)
  local queue = dest
  if code == '' then
    local origin = redis.call('HGET', JOB .. id, 'origin') or ''
    if queue == '' then queue = origin end
    if queue == '' then
      code = 'no origin queue'
    elseif limit and (not fresh or queue ~= origin) then
      code = 'rate-limited job: RQ can only requeue it to its own queue'
    end
  end
  if code == '' then
    if remove(source, is_list, id) == 0 then
      code = 'moved: ' .. status(id)
    else
      local key = JOB .. id
      if detach then
        -- Else the end of a dependency would enqueue it a second time (RQ skips only canceled ones).
        local waited = redis.call('SMEMBERS', dependencies_key(id))
        local listed = redis.call('HGET', key, 'dependency_ids')
        if listed then
          local ok, decoded = pcall(cjson.decode, listed)
          if ok and type(decoded) == 'table' then
            for _, dep in ipairs(decoded) do waited[#waited + 1] = tostring(dep) end
          end
        end
        for _, dep in ipairs(waited) do redis.call('SREM', dependents_key(dep), id) end
      end
      if limit then
        -- RQ's requeue of a rate-limited job (Queue._enqueue_rate_limited_job): it waits in its
        -- limit's set until a slot is free, then acquire() puts it on the queue.
        redis.call('HSET', key, 'status', 'rate_limited', 'started_at', '', 'ended_at', '',
                   'exc_info', exc_info, 'enqueue_at_front', at_front and '1' or '0')
        if redis.call('HEXISTS', key, 'timeout') == 0 then
          redis.call('HSET', key, 'timeout', default_timeout)
        end
      elseif fresh then
        redis.call('HSET', key, 'status', 'queued', 'origin', queue, 'enqueued_at', enqueued_at,
                   'started_at', '', 'ended_at', '', 'exc_info', exc_info)
      else
        redis.call('HSET', key, 'status', 'queued', 'origin', queue)
      end
      local ttl = tonumber(redis.call('HGET', key, 'ttl'))
      if ttl and ttl > 0 then
        redis.call('EXPIRE', key, ttl)
        redis.call('EXPIRE', dependents_key(id), ttl)
        redis.call('EXPIRE', dependencies_key(id), ttl)
      else
        -- The result or failure TTL would let the job's hash expire while it waits (RQ's requeue
        -- leaves it): a job on a queue lives as long as a freshly enqueued one.
        redis.call('PERSIST', key)
      end
      redis.call('SADD', QUEUES, QUEUE .. queue)
      if limit then
        redis.call('SADD', RL_KEYS, limit)
        redis.call('HSET', RL .. limit, 'concurrency', string.format('%d', concurrency))
        redis.call('ZADD', RL .. limit .. LIMITED, timestamp, id)
        acquire(limit, concurrency, timestamp, enqueued_at)
      else
        redis.call(at_front and 'LPUSH' or 'RPUSH', QUEUE .. queue, id)
      end
      code = 'ok'
    end
  end
  codes[#codes + 1] = code
end
return {codes, {}}
"""

_CANCEL = """
-- ARGV: source key, is list, score (now), with dependents, enqueued_at, ids...
local source, is_list, score, with_dependents = ARGV[1], ARGV[2] == '1', ARGV[3], ARGV[4] == '1'
local enqueued_at = ARGV[5]
local refused = refused_write()
if refused then return refused end
local codes, also = {}, {}
local function cancel(id)
  local origin = redis.call('HGET', JOB .. id, 'origin') or ''
  redis.call('HSET', JOB .. id, 'status', 'canceled')
  redis.call('ZADD', REGISTRY['canceled'] .. origin, score, id)
  local limit = rate_limit(id)
  if limit then release_slot(id, limit, score, enqueued_at) end
end
local function deferred(id) return status(id) == 'deferred' end
for i = 6, #ARGV do
  local id = ARGV[i]
  local code = check(id)
  if code == '' then
    if remove(source, is_list, id) == 0 then
      code = 'moved: ' .. status(id)
    else
      cancel(id)
      if with_dependents then
        for _, dependent in ipairs(dependents(id, deferred)) do
          unplace(dependent)
          cancel(dependent)
          also[#also + 1] = dependent
        end
      end
      code = 'ok'
    end
  end
  codes[#codes + 1] = code
end
return {codes, also}
"""

_DELETE = """
-- ARGV: source key, is list, with dependents, timestamp, enqueued_at, ids...
local source, is_list, with_dependents = ARGV[1], ARGV[2] == '1', ARGV[3] == '1'
local timestamp, enqueued_at = ARGV[4], ARGV[5]
local refused = refused_write()
if refused then return refused end
local codes, also = {}, {}
local function not_running(id) return status(id) ~= 'started' end
for i = 6, #ARGV do
  local id = ARGV[i]
  local code = check(id)
  if code == 'vanished' then
    -- A dangling id (its job expired or was deleted under it): removing the entry is the deletion.
    if remove(source, is_list, id) == 1 then code = 'ok' end
  elseif code:sub(1, 10) == 'unreadable' then
    if remove(source, is_list, id) == 1 then
      redis.call('DEL', JOB .. id)  -- not a job any more: deleting it is what was asked
      code = 'ok'
    else
      code = 'moved'
    end
  elseif code == '' then
    if remove(source, is_list, id) == 0 then
      code = 'moved: ' .. status(id)
    else
      if with_dependents then
        for _, dependent in ipairs(dependents(id, not_running)) do
          unplace(dependent)
          delete_job(dependent, timestamp, enqueued_at)
          also[#also + 1] = dependent
        end
      end
      delete_job(id, timestamp, enqueued_at)
      code = 'ok'
    end
  end
  codes[#codes + 1] = code
end
return {codes, also}
"""

_scripts: dict[str, str] = {}


def _script(connection: redis.Redis, body: str) -> Any:
    source = _scripts.setdefault(body, _prelude() + body)
    return connection.register_script(source)


def _run(connection: redis.Redis, body: str, args: list[Any]) -> ChunkResult:
    codes, also = _script(connection, body)(args=args)
    return ChunkResult([text(c) for c in codes], [text(d) for d in also])


def _flag(value: bool) -> str:
    return "1" if value else "0"


def requeue(
    connection: redis.Redis,
    source: Source,
    ids: list[str],
    options: Options,
    *,
    fresh: bool = True,
    detach: bool = False,
) -> ChunkResult:
    """Put jobs back on a queue (their own, or options.to) from `source`, as RQ's requeue does."""
    args = [source.key, _flag(source.is_list), options.to, _flag(options.at_front), utcformat(now())]
    flags = [_flag(fresh), _EMPTY_EXC_INFO, _flag(detach), int(time.time()), Queue.DEFAULT_TIMEOUT]
    return _run(connection, _REQUEUE, [*args, *flags, *ids])


def release(connection: redis.Redis, source: Source, ids: list[str], options: Options) -> ChunkResult:
    """Enqueue deferred jobs now, whatever their dependencies: out of Deferred, onto their queue.

    They also leave the dependents sets of the jobs they waited on, so that a dependency ending later
    does not enqueue them a second time.
    """
    return requeue(connection, source, ids, options, detach=True)


def move(connection: redis.Redis, source: Source, ids: list[str], options: Options) -> ChunkResult:
    """Move waiting jobs to the queue options.to, keeping their enqueue time."""
    if not options.to:
        raise ActionError("move needs a destination queue (--to)")
    if options.to == source.queue:
        raise ActionError(f"the jobs already wait in {options.to!r}: choose another queue")
    return requeue(connection, source, ids, options, fresh=False)


def cancel(connection: redis.Redis, source: Source, ids: list[str], options: Options) -> ChunkResult:
    """Cancel jobs as RQ's Job.cancel does: out of their queue or registry, into Canceled."""
    args = [source.key, _flag(source.is_list), int(time.time()), _flag(options.dependents), utcformat(now())]
    return _run(connection, _CANCEL, [*args, *ids])


def delete(connection: redis.Redis, source: Source, ids: list[str], options: Options) -> ChunkResult:
    """Delete jobs as RQ's Job.delete does (hash, results, executions, group), optionally dependents."""
    args = [source.key, _flag(source.is_list), _flag(options.dependents), int(time.time()), utcformat(now())]
    return _run(connection, _DELETE, [*args, *ids])


def stop(connection: redis.Redis, source: Source, ids: list[str], options: Options) -> ChunkResult:
    """Ask the workers running these jobs to stop them (RQ's stop-job command); they end as stopped."""
    pipe = connection.pipeline(transaction=False)
    for job_id in ids:
        pipe.hmget(keys.job_key(job_id), ["status", "worker_name", "origin"])
    codes: list[str] = []
    publish = connection.pipeline(transaction=False)
    for job_id, reply in zip(ids, pipe.execute(raise_on_error=False), strict=True):
        if isinstance(reply, redis.ResponseError):
            codes.append("unreadable: its key is not a hash")
            continue
        status, worker, origin = (text(v) for v in reply)
        if not status and not origin:
            codes.append("vanished")
        elif status != "started" or not worker:
            codes.append(f"not running: {status or 'no status'}")
        elif source.queue and origin != source.queue:
            codes.append(f"moved: runs in {origin}")
        else:
            send_command(publish, worker, "stop-job", job_id=job_id)
            codes.append(OK)
    publish.execute()
    return ChunkResult(codes)


@dataclass(frozen=True)
class JobAction:
    """One thing an operator can do to a set of jobs."""

    name: str
    """The audit and permission name, e.g. 'jobs.retry'."""
    sources: tuple[str, ...]
    """The registries ('waiting' for the queue itself) whose jobs it acts on."""
    past: str
    """What the summary says of a job it acted on: 'retried'."""
    chunk: Callable[[redis.Redis, Source, list[str], Options], ChunkResult]
    options: tuple[str, ...] = ()
    """The Options fields it takes ('to', 'at_front', 'dependents')."""
    needs_to: bool = False
    clears_dangling: bool = False
    """Whether it removes a dangling id (one whose job hash is gone) from the queue or registry named."""

    def check(self, options: Options) -> None:
        """ActionError when `options` ask for something this action does not do."""
        given = [name for name in ("to", "at_front", "dependents") if getattr(options, name)]
        for name in given:
            if name not in self.options:
                flag = "--" + name.replace("_", "-")
                raise ActionError(f"{self.name} does not take {flag}")
        if self.needs_to and not options.to:
            raise ActionError(f"{self.name} needs a destination queue (--to)")


_ENQUEUE = ("to", "at_front")
JOB_ACTIONS: dict[str, JobAction] = {
    a.name: a
    for a in (
        JobAction("jobs.retry", ("failed",), "retried", requeue, ("at_front",)),
        JobAction("jobs.requeue", ("failed", "canceled", "finished"), "requeued", requeue, _ENQUEUE),
        JobAction("jobs.move", ("waiting",), "moved", move, _ENQUEUE, needs_to=True),
        JobAction("jobs.cancel", ("waiting", "scheduled", "deferred"), "canceled", cancel, ("dependents",)),
        JobAction("jobs.stop", ("started",), "asked to stop", stop),
        JobAction(
            "jobs.delete",
            ("waiting", "failed", "finished", "canceled", "scheduled", "deferred"),
            "deleted",
            delete,
            ("dependents",),
            clears_dangling=True,
        ),
        JobAction("jobs.enqueue-now", ("scheduled",), "enqueued", requeue, ("at_front",)),
        JobAction("jobs.release", ("deferred",), "released", release, ("at_front",)),
        JobAction("queues.empty", ("waiting",), "deleted", delete),
    )
}


def suspend_workers(connection: redis.Redis, ttl: int | None = None) -> None:
    """Suspend every worker on this Redis (RQ's suspension is global): they finish their job, take no new."""
    suspend(connection, ttl)


def resume_workers(connection: redis.Redis) -> None:
    """End RQ's suspension: workers take jobs again."""
    resume(connection)


def workers_suspended(connection: redis.Redis) -> bool:
    """Whether RQ's global suspension is on (one EXISTS)."""
    return bool(connection.exists(WORKERS_SUSPENDED))


def _worker(connection: redis.Redis, name: str) -> tuple[str, str]:
    """(state, current job id or '') of a live worker; ActionError when there is no such worker."""
    pipe = connection.pipeline(transaction=False)
    pipe.sismember(keys.WORKERS_SET, keys.WORKER_PREFIX + name)
    pipe.hget(keys.WORKER_PREFIX + name, "state")
    pipe.smembers(keys.worker_executions_key(name))
    registered, state, executions = pipe.execute()
    if not registered or state is None:
        raise ActionError(f"no worker named {name!r} (see queuetui stats)")
    running = sorted(job_id_of(e) for e in executions)
    return text(state), running[0] if running else ""


def _expect(name: str, job_id: str, expected: str | None, what: str) -> None:
    """Refuse when the worker no longer runs the job the operator saw (`expected`; None skips it)."""
    if expected is None or job_id == expected:
        return
    now = f"now runs {job_id}" if job_id else "runs no job now"
    raise ActionError(f"worker {name!r} {now}, not {expected}: nothing {what}")


def stop_worker_job(connection: redis.Redis, name: str, expected: str | None = None) -> str:
    """Stop the job a worker is running (it ends as stopped, not retried); returns the job id.

    With `expected`, only that job: ActionError when the worker has moved on to another.
    """
    state, job_id = _worker(connection, name)
    _expect(name, job_id, expected, "stopped")
    if state != "busy" or not job_id:
        raise ActionError(f"worker {name!r} is not running a job ({state or 'no state'})")
    send_command(connection, name, "stop-job", job_id=job_id)
    return job_id


def shutdown_worker(connection: redis.Redis, name: str) -> None:
    """Warm shutdown: the worker finishes its current job, then exits."""
    _worker(connection, name)
    send_shutdown_command(connection, name)


def kill_horse(connection: redis.Redis, name: str, expected: str | None = None) -> str:
    """Kill the worker's work horse (the forked process running its job); returns the job id.

    With `expected`, only while it runs that job: ActionError when the worker has moved on.
    """
    state, job_id = _worker(connection, name)
    _expect(name, job_id, expected, "killed")
    if state != "busy":
        raise ActionError(f"worker {name!r} has no work horse to kill ({state or 'no state'})")
    send_kill_horse_command(connection, name)
    return job_id
