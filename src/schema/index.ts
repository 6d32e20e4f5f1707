export { canonicalValue, rowKeyRecord, keyRecordText } from './canonical-value.js';
export { fromDriverType, cqlTypeText, UnsupportedTypeError, SCALAR_TYPES } from './cql-type.js';
export type { CqlType, ScalarName, DriverType } from './cql-type.js';
export { pgTypeOf, PG_SCALAR } from './type-map.js';
export type { PgColumnType, PgShape } from './type-map.js';
export { quoteIdent } from './source-table.js';
export type { SourceTable, SourceColumn, ColumnRole } from './source-table.js';
export { createTableDdl, qualifiedName } from './target-ddl.js';
export type { TargetDialect, TargetName } from './target-ddl.js';
