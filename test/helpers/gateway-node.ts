/**
 * Which node runs the gateway in the end-to-end tests. By default the one
 * running the tests, in-process or as a child. BMC_GATEWAY_TEST_NODE names
 * another executable that takes node's command line, e.g. a wrapper that
 * runs an ARM build of node under qemu-user (.ci/arm/run.sh): every gateway
 * the tests start then runs there, while the tests, the bus and the
 * simulated BMC stay on this node.
 */
const override = process.env.BMC_GATEWAY_TEST_NODE;

/** The other node named by BMC_GATEWAY_TEST_NODE, if any. */
export const GATEWAY_NODE_OVERRIDE: string | undefined = override === undefined || override === '' ? undefined : override;

/** The node command that runs the gateway's CLI. */
export const GATEWAY_NODE: string = GATEWAY_NODE_OVERRIDE ?? process.execPath;
