/** One sample of a Prometheus text exposition. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed exposition: the declared type of each metric family and every sample. */
export interface Exposition {
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const metricName = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const labelPair = '([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"';
const sampleLine = new RegExp(
  `^(${metricName})(?:\\{((?:${labelPair})(?:,${labelPair})*,?)?\\})? (?<value>\\S+)(?: (?<timestamp>-?\\d+))?$`,
);
const typeLine = new RegExp(`^# TYPE (${metricName}) (counter|gauge|histogram|summary|untyped)$`);
const helpLine = new RegExp(`^# HELP (${metricName}) .*$`);
const types = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * Parses the Prometheus text format (version 0.0.4) strictly: every line must be a HELP, TYPE or
 * sample line, each family is declared once before its samples, and every value is a number.
 * Throws an Error naming the first line that breaks a rule.
 */
export function parseExposition(text: string): Exposition {
  const declared = new Map<string, string>();
  const samples: Sample[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) !== '') {
    throw new Error('the exposition must end with a line feed');
  }

  lines.slice(0, -1).forEach((line, index) => {
    const fail = (rule: string): never => {
      throw new Error(`line ${index + 1} ${rule}: ${JSON.stringify(line)}`);
    };
    // The format ignores empty lines; prom-client puts one between families.
    if (line === '' || helpLine.test(line)) {
      return;
    }
    const typeMatch = typeLine.exec(line);
    if (typeMatch) {
      const [, name = '', type = ''] = typeMatch;
      if (declared.has(name) || !types.has(type)) {
        fail('declares a type twice or an unknown type');
      }
      declared.set(name, type);
      return;
    }
    const sample = sampleLine.exec(line) ?? fail('is not a HELP, TYPE or sample line');
    const name = sample[1] ?? '';
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const baseType = declared.get(base);
    if (!declared.has(name) && baseType !== 'histogram' && baseType !== 'summary') {
      fail('has a sample of an undeclared metric');
    }
    const value =
      parseValue(sample.groups?.['value'] ?? '') ?? fail('has a value that is not a number');
    samples.push({ name, labels: parseLabels(sample[2] ?? ''), value });
  });
  return { types: declared, samples };
}

/**
 * Parses a sample value as Go's strconv.ParseFloat does, which the format refers to: a decimal or
 * exponent number, or NaN and Inf in any case with an optional sign.
 */
function parseValue(raw: string): number | undefined {
  if (/^nan$/i.test(raw)) {
    return NaN;
  }
  const infinity = /^([+-]?)inf(inity)?$/i.exec(raw);
  if (infinity) {
    return infinity[1] === '-' ? -Infinity : Infinity;
  }
  return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw) ? Number(raw) : undefined;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const match of text.matchAll(new RegExp(labelPair, 'g'))) {
    labels[match[1] ?? ''] = (match[2] ?? '').replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
  }
  return labels;
}

/** Returns the value of the one sample with `name` and exactly `labels`, or undefined. */
export function sampleValue(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matches = exposition.samples.filter(
    (sample) =>
      sample.name === name &&
      Object.keys(sample.labels).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  if (matches.length > 1) {
    throw new Error(`${matches.length} samples of ${name} match ${JSON.stringify(labels)}`);
  }
  return matches[0]?.value;
}
