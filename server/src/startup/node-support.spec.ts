import { SDK_NODE_WARNING_ENV, quietSdkNodeWarning } from './node-support.js';

test("turns the AWS SDK's Node-version warning off unless the environment already decided", () => {
  const unset: NodeJS.ProcessEnv = {};
  quietSdkNodeWarning(unset);
  expect(unset[SDK_NODE_WARNING_ENV]).toBe('true');
  const decided: NodeJS.ProcessEnv = { [SDK_NODE_WARNING_ENV]: 'false' };
  quietSdkNodeWarning(decided);
  expect(decided[SDK_NODE_WARNING_ENV]).toBe('false');
});

test('the pinned SDK warns on Node 20 without the switch and stays quiet with it', () => {
  type SdkClient = { emitWarningIfUnsupportedVersion(version: string): void };
  const warned = (env: NodeJS.ProcessEnv): number => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const saved = process.env[SDK_NODE_WARNING_ENV];
    try {
      if (env[SDK_NODE_WARNING_ENV] === undefined) delete process.env[SDK_NODE_WARNING_ENV];
      else process.env[SDK_NODE_WARNING_ENV] = env[SDK_NODE_WARNING_ENV];
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        (require('@aws-sdk/core/client') as SdkClient).emitWarningIfUnsupportedVersion('v20.19.0');
      });
      return spy.mock.calls.length;
    } finally {
      if (saved === undefined) delete process.env[SDK_NODE_WARNING_ENV];
      else process.env[SDK_NODE_WARNING_ENV] = saved;
      spy.mockRestore();
    }
  };
  expect(warned({})).toBe(1);
  const quiet: NodeJS.ProcessEnv = {};
  quietSdkNodeWarning(quiet);
  expect(warned(quiet)).toBe(0);
});
