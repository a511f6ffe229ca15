/**
 * The server's logger: pino JSON lines on stdout, or human-readable lines
 * (pino-pretty, in process and synchronous) when asked or when stdout is a
 * terminal (SB_LOG_FORMAT, issue 15).
 */
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** A logger; the alias keeps pino out of the other layers' signatures. */
export type AppLogger = Logger;

/** auto: pretty on a terminal, JSON otherwise; json or pretty: always that. */
export type LogFormatChoice = 'auto' | 'json' | 'pretty';

/** The format `choice` means for an output that is (`isTty`) or is not a terminal. */
export function resolveLogFormat(choice: LogFormatChoice, isTty: boolean): 'json' | 'pretty' {
  if (choice === 'auto') return isTty ? 'pretty' : 'json';
  return choice;
}

/** How createLogger writes: to `destination` (default stdout) as JSON or pretty lines. */
export interface LoggerOutput {
  /** JSON (the default) or pretty. */
  readonly format?: 'json' | 'pretty';
  /** Where lines go; default stdout (fd 1), written synchronously so nothing is lost at exit. */
  readonly destination?: pino.DestinationStream | NodeJS.WritableStream;
  /** Colours in pretty mode (default: when the destination is stdout on a colour terminal). */
  readonly colorize?: boolean;
}

/** A logger at `level` with ISO timestamps, writing as `output` says (a bare stream means JSON to it). */
export function createLogger(level: string, output: LoggerOutput | pino.DestinationStream = {}): AppLogger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'smarterbase', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  const out: LoggerOutput = 'write' in output ? { destination: output } : output;
  if (out.format === 'pretty') {
    const stream = pretty({
      sync: true,
      destination: out.destination ?? 1,
      colorize: out.colorize ?? (out.destination === undefined && process.stdout.isTTY === true && process.stdout.hasColors()),
      ignore: 'service,pid,hostname',
      translateTime: 'SYS:HH:MM:ss.l',
      singleLine: true,
    });
    return pino(options, stream);
  }
  return pino(options, (out.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true }));
}
