/**
 * The project's Node.js support policy in code (README, "Node.js support"):
 * Node 20.19+ is supported while the pinned AWS SDK still supports it. SDK
 * releases after the first week of January 2027 need Node 22; until the pin
 * moves past that, the SDK's seven-line NodeVersionSupportWarning on every
 * S3 start says nothing the README does not, so it is turned off here
 * (unless the environment already decided) and the Node version is in the
 * banner instead.
 */

/** The SDK's own switch for its Node-version warning (@aws-sdk/core, emitWarningIfUnsupportedVersion). */
export const SDK_NODE_WARNING_ENV = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/** Turns the SDK's Node-version warning off for this process unless `env` already sets the switch. */
export function quietSdkNodeWarning(env: NodeJS.ProcessEnv = process.env): void {
  if (env[SDK_NODE_WARNING_ENV] === undefined) env[SDK_NODE_WARNING_ENV] = 'true';
}
