/** The platform's expression language in the browser: parse, evaluate, and form linkage. */
export { ExprError, parse, walk, type ExprNode } from './parser';
export {
  decode, evaluate, parseCached, staticKind, toJSONValue, type Env, type EvalContext, type FieldDef, type FormSchema,
  type Scope,
} from './evaluate';
export { liveFormulas } from './formulas';
export { ExprDate, ExprDateTime, PythonError, type Value } from './values';
export {
  conditionHolds, linkageState, optionValues, rowLinkageState, valuesToSubmit, type LinkageRule, type LinkageScope,
  type LinkageState,
} from './linkage';
