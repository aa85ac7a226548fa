// Bundles the reconcile job before the tests (the ReconcileJob construct reads the bundle).
const { bundleReconcileJob } = require('../../scripts/bundle-reconcile-job');

module.exports = async () => {
  await bundleReconcileJob({ quiet: true });
};
