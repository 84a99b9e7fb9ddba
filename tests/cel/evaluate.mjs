// evaluate.mjs -- evaluate DRA device selectors with a real CEL engine.
//
// Reads one JSON document on standard input:
//   {"cases": [{"id": "...", "expression": "CEL", "driver": "dra.example.com",
//               "attributes": {"DOMAIN": {"NAME": {"int": 5} | {"bool": true} |
//                                                  {"string": "x"} | {"version": "1.2.3"}}},
//               "expect": true | false}]}
// and evaluates each expression over a `device` shaped as the Kubernetes
// scheduler gives it to a DRA selector (device.driver, device.attributes
// grouped by domain, version attributes as Kubernetes' semver values).
// Prints one line per case that disagrees or fails, then
// `N passed, N failed`; exits 1 when any case failed.
//
// The semver functions follow Kubernetes' CEL semver library
// (k8s.io/apiserver/pkg/cel/library/semverlib.go): semver(s), isSemver(s),
// and the methods major(), minor(), patch(), compareTo(), isLessThan(),
// isGreaterThan(); a selector that evaluates to an error aborts allocation
// in Kubernetes, so an error here is a failure, never a "false".
import { Environment } from '@marcbachmann/cel-js'

// SemVer 2.0.0 as Kubernetes parses it (strict: three numbers, no leading
// zeros, no "v").
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/

class Semver {
  constructor (text) {
    const m = SEMVER.exec(text)
    if (!m) throw new Error(`invalid semver: ${JSON.stringify(text)}`)
    this.major = BigInt(m[1])
    this.minor = BigInt(m[2])
    this.patch = BigInt(m[3])
    this.pre = m[4] === undefined ? [] : m[4].split('.')
  }

  compare (o) {
    for (const k of ['major', 'minor', 'patch']) {
      if (this[k] !== o[k]) return this[k] < o[k] ? -1 : 1
    }
    const a = this.pre
    const b = o.pre
    if (a.length === 0 || b.length === 0) return a.length === b.length ? 0 : (a.length === 0 ? 1 : -1)
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const na = /^\d+$/.test(a[i])
      const nb = /^\d+$/.test(b[i])
      if (na && nb) {
        const x = BigInt(a[i])
        const y = BigInt(b[i])
        if (x !== y) return x < y ? -1 : 1
      } else if (na !== nb) {
        return na ? -1 : 1
      } else if (a[i] !== b[i]) {
        return a[i] < b[i] ? -1 : 1
      }
    }
    return a.length === b.length ? 0 : (a.length < b.length ? -1 : 1)
  }
}

const env = new Environment()
  .registerType('Semver', Semver)
  .registerVariable('device', 'map')
  .registerFunction('semver(string): Semver', s => new Semver(s))
  .registerFunction('isSemver(string): bool', s => SEMVER.test(s))
  .registerFunction('Semver.major(): int', v => v.major)
  .registerFunction('Semver.minor(): int', v => v.minor)
  .registerFunction('Semver.patch(): int', v => v.patch)
  .registerFunction('Semver.compareTo(Semver): int', (a, b) => BigInt(a.compare(b)))
  .registerFunction('Semver.isLessThan(Semver): bool', (a, b) => a.compare(b) < 0)
  .registerFunction('Semver.isGreaterThan(Semver): bool', (a, b) => a.compare(b) > 0)

function attributeValue (typed) {
  const kinds = Object.keys(typed)
  if (kinds.length !== 1) throw new Error(`an attribute has exactly one type: ${JSON.stringify(typed)}`)
  const v = typed[kinds[0]]
  switch (kinds[0]) {
    case 'int': return BigInt(v)
    case 'bool': return Boolean(v)
    case 'string': return String(v)
    case 'version': return new Semver(v)
    default: throw new Error(`unknown attribute type ${kinds[0]}`)
  }
}

function device (c) {
  const domains = new Map()
  for (const [domain, attrs] of Object.entries(c.attributes || {})) {
    const m = new Map()
    for (const [name, typed] of Object.entries(attrs)) m.set(name, attributeValue(typed))
    domains.set(domain, m)
  }
  return { driver: c.driver || '', attributes: domains, capacity: new Map() }
}

let input = ''
for await (const chunk of process.stdin) input += chunk
const { cases } = JSON.parse(input)
const compiled = new Map()
let passed = 0
let failed = 0
for (const c of cases) {
  let value
  try {
    let program = compiled.get(c.expression)
    if (!program) {
      program = env.parse(c.expression)
      compiled.set(c.expression, program)
    }
    value = program({ device: device(c) })
  } catch (e) {
    value = `error: ${String(e.message).split('\n')[0]}`
  }
  if (value === c.expect) {
    passed++
  } else {
    failed++
    console.log(`FAIL ${c.id}: CEL gave ${JSON.stringify(value)}, compatc check says ${JSON.stringify(c.expect)}`)
  }
}
console.log(`${passed} passed, ${failed} failed`)
process.exit(failed ? 1 : 0)
