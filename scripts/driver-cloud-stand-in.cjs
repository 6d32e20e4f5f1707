'use strict';
// Stands in for cassandra-driver's lib/datastax/cloud/index.js in c2y's bundles (scripts/bundle.mjs says why): the
// same two exports; a `cloud` option is refused, never ignored.
const refused = () =>
  new Error("c2y: Astra secure connect bundles (the driver's cloud option) are not supported: give the contact points and TLS settings");

async function init(options) {
  if (options.cloud) throw refused();
}

function checkServerIdentity() {
  throw refused();
}

module.exports = { init, checkServerIdentity };
