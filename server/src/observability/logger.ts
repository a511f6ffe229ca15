/** The server's logger: pino JSON lines on stdout. */
import pino, { type Logger } from 'pino';

/** A logger; the alias keeps pino out of the other layers' signatures. */
export type AppLogger = Logger;

/** A JSON logger writing to stdout at `level`, with ISO timestamps. */
export function createLogger(level: string, destination?: pino.DestinationStream): AppLogger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'smarterbase', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: pino.stdSerializers.err },
  };
  return destination ? pino(options, destination) : pino(options, pino.destination({ dest: 1, sync: true }));
}
