/**
 * CPU time of processes, to tell whether the load generator or the server
 * was the bottleneck of a throughput measurement.
 */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat on Linux (USER_HZ, 100 on every mainstream build). */
const USER_HZ = 100;

/**
 * User + system CPU time of process `pid` in ms, from /proc/<pid>/stat;
 * undefined where /proc is missing (not Linux) or the process is gone.
 */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return parseStatCpuMs(stat);
}

/** User + system CPU ms from the text of a /proc/<pid>/stat file (fields 14 and 15). */
export function parseStatCpuMs(stat: string): number | undefined {
  // The command name (field 2) is in parentheses and may hold spaces: split after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so fields 14 and 15 are at 11 and 12.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return ((utime + stime) * 1000) / USER_HZ;
}

/**
 * User + system CPU ms of the waited-for children of a process, from the text
 * of its /proc/<pid>/stat (fields 16 and 17, cutime and cstime): how a shell
 * reports the CPU of a command it ran and reaped.
 */
export function parseStatChildrenCpuMs(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(fields[13]);
  const cstime = Number(fields[14]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return undefined;
  return ((cutime + cstime) * 1000) / USER_HZ;
}

/** This process's user + system CPU time in ms. */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
