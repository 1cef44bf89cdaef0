// The Vercel AI SDK (6: `experimental_telemetry`; 7: the @ai-sdk/otel integration)
// with the OpenAI provider (chat completions) and four tools, traced by the
// OpenTelemetry JS SDK to OTLP/HTTP, OTLP/gRPC and its console exporter (a file).
// Environment as in harness.py; node_modules come from argv's folder (NODE_PATH).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inspect } from 'node:util';

const mods = process.env.AGTRACE_NODE_MODULES;
const require = createRequire(path.join(mods, 'x.js'));
const load = (name) => import(require.resolve(name));

const RUN = process.env.AGTRACE_RUN;
const FAKE = process.env.FAKE_LLM_URL.replace(/\/$/, '');
const TOOLS_LOG = process.env.AGTRACE_TOOLS_LOG;
const SCENARIOS = ['weather', 'empty', 'raise', 'loop', 'length', 'error'];
const WORDS = {
  weather: 'What is the weather in Paris?',
  empty: 'Where is my order 42?',
  raise: 'Charge my card 10 euros.',
  loop: 'Find my late orders.',
  length: 'Tell me the whole history of Rome.',
  error: 'Hello?',
};

const api = await load('@opentelemetry/api');
const { NodeTracerProvider } = await load('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor, SimpleSpanProcessor } = await load('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = await load('@opentelemetry/resources');
const { OTLPTraceExporter: HttpExporter } = await load('@opentelemetry/exporter-trace-otlp-proto');
const { OTLPTraceExporter: GrpcExporter } = await load('@opentelemetry/exporter-trace-otlp-grpc');
const ai = await load('ai');
const { createOpenAI } = await load('@ai-sdk/openai');
const { z } = await load('zod');
const major = Number(JSON.parse(fs.readFileSync(require.resolve('ai/package.json'))).version.split('.')[0]);

// The console exporter as the JS SDK writes it (console.dir of each span), into a file.
class FileConsoleExporter {
  constructor(file) { this.fd = fs.openSync(file, 'a'); }
  export(spans, done) {
    for (const s of spans) {
      const o = {
        resource: { attributes: s.resource.attributes },
        instrumentationScope: s.instrumentationScope,
        traceId: s.spanContext().traceId,
        parentSpanContext: s.parentSpanContext,
        traceState: s.spanContext().traceState?.serialize(),
        name: s.name,
        id: s.spanContext().spanId,
        kind: s.kind,
        timestamp: hrToMicros(s.startTime),
        duration: hrToMicros(s.duration),
        attributes: s.attributes,
        status: s.status,
        events: s.events,
        links: s.links,
      };
      fs.writeSync(this.fd, inspect(o, { depth: 3, breakLength: 80 }) + '\n');
    }
    done({ code: 0 });
  }
  shutdown() { fs.closeSync(this.fd); return Promise.resolve(); }
  forceFlush() { return Promise.resolve(); }
}
const hrToMicros = (t) => t[0] * 1e6 + Math.round(t[1] / 1e3);

const processors = [];
if (process.env.AGTRACE_OTLP_HTTP) {
  processors.push(new BatchSpanProcessor(new HttpExporter({ url: process.env.AGTRACE_OTLP_HTTP.replace(/\/$/, '') + '/v1/traces' })));
}
if (process.env.AGTRACE_OTLP_GRPC) {
  processors.push(new BatchSpanProcessor(new GrpcExporter({ url: process.env.AGTRACE_OTLP_GRPC })));
}
if (process.env.AGTRACE_CONSOLE_FILE) {
  processors.push(new SimpleSpanProcessor(new FileConsoleExporter(process.env.AGTRACE_CONSOLE_FILE)));
}
const provider = new NodeTracerProvider({
  resource: resourceFromAttributes({ 'service.name': RUN }),
  spanProcessors: processors,
});
provider.register();
let telemetry = { isEnabled: true, functionId: 'support-agent' };
if (major >= 7) {
  const { OpenTelemetry } = await load('@ai-sdk/otel');
  ai.registerTelemetry(new OpenTelemetry());
  telemetry = { functionId: 'support-agent' };
}

const record = (entry) => fs.appendFileSync(TOOLS_LOG, JSON.stringify({ run: RUN, ...entry }) + '\n');
let current = '';
const run = (name, args, fn) => {
  try {
    const result = fn();
    record({ scenario: current, tool: name, args, result, error: null });
    return result;
  } catch (e) {
    record({ scenario: current, tool: name, args, result: null, error: String(e.message) });
    throw e;
  }
};
const tools = {
  get_weather: ai.tool({ description: 'Current weather of a city.', inputSchema: z.object({ city: z.string() }),
    execute: async ({ city }) => run('get_weather', { city }, () => 'sunny, 21 C') }),
  lookup_order: ai.tool({ description: 'Find an order by id.', inputSchema: z.object({ order_id: z.string() }),
    execute: async ({ order_id }) => run('lookup_order', { order_id }, () => '') }),
  charge_card: ai.tool({ description: "Charge the customer's card.", inputSchema: z.object({ amount: z.number() }),
    execute: async ({ amount }) => run('charge_card', { amount }, () => { throw new Error('card declined'); }) }),
  search_orders: ai.tool({ description: 'Search orders.', inputSchema: z.object({ q: z.string() }),
    execute: async ({ q }) => run('search_orders', { q }, () => 'still searching') }),
};
const openai = createOpenAI({ baseURL: FAKE + '/v1', apiKey: 'sk-fake' });
const model = openai.chat('gpt-4o-mini');
const tracer = api.trace.getTracer('agtrace.producers');
const stop = ai.stepCountIs ?? ai.isStepCount;

for (const scenario of SCENARIOS) {
  current = scenario;
  await tracer.startActiveSpan(`scenario ${scenario}`, { attributes: { 'test.scenario': scenario } }, async (span) => {
    let error = null;
    try {
      const args = {
        model, tools, maxRetries: 0, maxOutputTokens: 200, stopWhen: stop(8),
        prompt: `[scenario:${scenario}] [run:${RUN}] ${WORDS[scenario]}`,
      };
      if (major >= 7) args.telemetry = telemetry; else args.experimental_telemetry = telemetry;
      if (scenario === 'weather') {
        const r = ai.streamText(args);
        await r.consumeStream();
        await r.text;
      } else {
        await ai.generateText(args);
      }
    } catch (e) {
      error = e;
    }
    record({ scenario, outcome: error ? 'error' : 'ok', error: error ? String(error.message) : null });
    span.end();
  });
}
await provider.forceFlush();
await provider.shutdown();
