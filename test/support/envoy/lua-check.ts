/**
 * Compile Lua sources the way Envoy's Lua filter does at config load, with the LuaJIT binary
 * (`apt-get install -y luajit`; Envoy embeds LuaJIT 2.1). All sources go to one `luajit` process.
 *
 * For each source: `loadstring` (syntax), then the chunk's top level is run once in a fresh
 * environment (Envoy runs it when it loads the filter: a top-level runtime error, e.g.
 * `require("cjson")`, fails the load) with an instruction budget, and the result must define a
 * global `envoy_on_request` or `envoy_on_response` function (otherwise the filter does nothing:
 * Envoy accepts that, we flag it).
 */
import { spawnSync } from 'child_process';

export interface LuaSource {
  /** JSON path of the source (for messages). */
  path: string;
  code: string;
}

const CHECKER = `
local data = io.read("*a")
local pos, idx = 1, 0
while pos <= #data do
  local nl = data:find("\\n", pos, true)
  local len = tonumber(data:sub(pos, nl - 1))
  local src = data:sub(nl + 1, nl + len)
  pos = nl + len + 1
  local f, err = loadstring(src, "=lua")
  if not f then
    io.write(idx, "\\tsyntax error: ", (tostring(err):gsub("\\n", " ")), "\\n")
  else
    local env = setmetatable({}, { __index = _G })
    setfenv(f, env)
    debug.sethook(function() error("top-level code ran over its instruction budget", 2) end, "", 10000000)
    local ok, rerr = pcall(f)
    debug.sethook()
    if not ok then
      io.write(idx, "\\truntime error in top-level code: ", (tostring(rerr):gsub("\\n", " ")), "\\n")
    elseif type(rawget(env, "envoy_on_request")) ~= "function" and type(rawget(env, "envoy_on_response")) ~= "function" then
      io.write(idx, "\\tdefines neither envoy_on_request nor envoy_on_response\\n")
    end
  end
  idx = idx + 1
end
`;

let luajitMissing: boolean | undefined;

export function luajitAvailable(): boolean {
  if (luajitMissing === undefined) {
    const r = spawnSync('luajit', ['-v'], { encoding: 'utf8' });
    luajitMissing = r.error !== undefined || r.status !== 0;
  }
  return !luajitMissing;
}

/** Returns one error string per failing source (`<path>: <problem>`). */
export function checkLuaSources(sources: LuaSource[]): string[] {
  if (sources.length === 0) return [];
  if (!luajitAvailable()) {
    return [`${sources[0].path}: cannot check Lua: the luajit binary is not installed (apt-get install -y luajit)`];
  }
  const input = Buffer.concat(
    sources.flatMap((s) => {
      const body = Buffer.from(s.code, 'utf8');
      return [Buffer.from(`${body.length}\n`), body];
    }),
  );
  const r = spawnSync('luajit', ['-e', CHECKER], { input, encoding: 'utf8', timeout: 30000 });
  if (r.error || r.status !== 0) {
    return [`${sources[0].path}: luajit checker failed: ${r.error?.message ?? r.stderr}`];
  }
  const errors: string[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const tab = line.indexOf('\t');
    const idx = Number(line.slice(0, tab));
    errors.push(`${sources[idx].path}: Lua ${line.slice(tab + 1)}`);
  }
  return errors;
}
