export { canonicalValue } from './canonical-value.js';
