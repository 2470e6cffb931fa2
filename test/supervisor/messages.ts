/** What a message a user reads must not contain: Node's and grpc-js's own text, a stack frame. */
export const NODE_INTERNAL_TEXT = new RegExp(
  [
    'Cannot read propert',
    'is not a function',
    'is not iterable',
    'is not defined',
    'Cannot convert',
    'got undefined',
    'undefined',
    'Unexpected token',
    'Maximum call stack',
    '\\bat .*:\\d+:\\d+',
    '\\bE[A-Z]{3,}: ',
    'ERR_[A-Z_]+',
    '\\[object Object\\]',
    'No connection established',
    '^\\d+ [A-Z_]+: ',
    'plan\\.init\\[',
  ].join('|'),
);
