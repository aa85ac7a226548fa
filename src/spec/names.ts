/** Identity of the AIGatewayResource API. Everything that names the API reads it from here. */
export const API_GROUP = 'gateway.example.com';
export const API_VERSION_NAME = 'v1';
export const API_VERSION = `${API_GROUP}/${API_VERSION_NAME}`;
export const KIND = 'AIGatewayResource';
export const LIST_KIND = 'AIGatewayResourceList';
export const PLURAL = 'aigates';
export const SINGULAR = 'aigate';
export const CRD_NAME = `${PLURAL}.${API_GROUP}`;

/** Label keys the library writes on every object it generates (see `labelsFor`). */
export const LABEL_GATEWAY = `${API_GROUP}/gateway`;
/** Annotation with the hash of the canonical spec the manifests were synthesized from. */
export const ANNOTATION_SPEC_HASH = `${API_GROUP}/spec-hash`;
/** Annotation with the hash of the generated Envoy configuration (rolls the pods when it changes). */
export const ANNOTATION_CONFIG_HASH = `${API_GROUP}/config-hash`;
