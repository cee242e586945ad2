// Drives the TypeScript SDK generated from api/openapi.yaml against a running platform:
// submit through /v2/jobs, poll the job to its end, download the image through the result URL.
// TypeScriptSdkTest copies the generated SDK next to this file (./sdk) and runs it with
// FLUX2_GATEWAY_URL and FLUX2_API_KEY; exit code 0 means every check passed.
import { Configuration, JobsApi, AccountApi, ResponseError, JobStatus, type Job } from './sdk';

const TERMINAL: ReadonlySet<string> = new Set<string>([
  JobStatus.Ready, JobStatus.RequestModerated, JobStatus.ContentModerated, JobStatus.Error, JobStatus.Cancelled,
]);

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) {
    throw new Error(`check failed: ${message}`);
  }
}

async function main(): Promise<void> {
  const config = new Configuration({ basePath: env('FLUX2_GATEWAY_URL'), apiKey: env('FLUX2_API_KEY') });
  const jobs = new JobsApi(config);
  const account = new AccountApi(config);

  const tiers = await account.listTiers();
  check(tiers.items.some((t) => t.name === 'klein'), `tier klein listed: ${JSON.stringify(tiers.items.map((t) => t.name))}`);

  const created = await jobs.createJobRaw({
    jobRequest: { tier: 'klein', prompt: 'a lighthouse at dusk, drawn by the TypeScript SDK', width: 128, height: 96, seed: 7, outputFormat: 'png' },
    idempotencyKey: `ts-sdk-smoke-${Date.now()}`,
  });
  check(created.raw.status === 201, `create answers 201, got ${created.raw.status}`);
  let job: Job = await created.value();
  check(job.id && job.status, `a job with id and status: ${JSON.stringify(job)}`);
  console.log(`created ${job.id} (${job.status})`);

  const deadline = Date.now() + 120_000;
  while (!TERMINAL.has(job.status)) {
    check(Date.now() < deadline, `job ${job.id} finished within 120 s, last status ${job.status}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    job = await jobs.getJob({ id: job.id });
  }
  check(job.status === JobStatus.Ready, `job ready: ${JSON.stringify(job)}`);
  check(job.result?.seed === 7, `seed kept: ${job.result?.seed}`);

  const result = await jobs.getJobResult({ id: job.id });
  check(result.url.startsWith('http'), `a result URL: ${result.url}`);
  const image = await fetch(result.url);
  check(image.status === 200, `result URL downloads, got ${image.status}`);
  const bytes = new Uint8Array(await image.arrayBuffer());
  const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  check(pngSignature.every((b, i) => bytes[i] === b), 'the download is a PNG');
  console.log(`downloaded ${bytes.length} bytes of PNG, ${result.width}x${result.height}`);

  try {
    await jobs.getJob({ id: '00000000-0000-0000-0000-000000000000' });
    check(false, 'an unknown job is a 404');
  } catch (e) {
    check(e instanceof ResponseError && e.response.status === 404, `an unknown job is a 404: ${e}`);
  }
  console.log('TypeScript SDK smoke test passed');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
