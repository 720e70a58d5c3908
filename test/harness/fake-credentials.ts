import { generateKeyPairSync } from "node:crypto";

/**
 * Fake credentials in the formats their issuers use (values made up, assembled at run time so that
 * this repository holds no token-shaped string), placed as the credential issue's table has them.
 */

const alnum = "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v2W3x4Y5z6";
const run = (n: number, from = 0) => Array.from({ length: n }, (_, i) => alnum[(i * 7 + from) % alnum.length]).join("");

export const fake = {
  githubToken: `${"gh"}p_${run(36, 1)}`,
  gitlabToken: `${"gl"}pat-${run(20, 2)}`,
  npmToken: `${"np"}m_${run(36, 3)}`,
  slackToken: `${"xo"}xb-1234567890-${run(24, 4)}`,
  stripeKey: `${"sk"}_live_${run(32, 5)}`,
  awsKeyId: `${"AK"}IA${run(16, 6).toUpperCase()}`,
  awsSecret: `${run(20, 7)}/${run(19, 8)}`,
};

const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
/** A private key made for the test run, in PEM: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`). */
export const privateKey = (kind: "RSA " | "" = "RSA ") =>
  rsa.export({ type: kind === "RSA " ? "pkcs1" : "pkcs8", format: "pem" }).toString();
/** An OpenSSH private key's shape (its magic `openssh-key-v1`, then made-up base64). */
export const opensshKey = () => {
  const body = `b3BlbnNzaC1rZXktdjEAAAAA${run(40, 3)}${Array.from({ length: 5 }, (_, i) => run(70, i)).join("")}`;
  const lines = body.match(/.{1,70}/g)!.join("\n");
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines}\n-----END OPENSSH PRIVATE KEY-----\n`;
};

/** The files of the table: path -> content, and the rule expected to find each. */
export const committedCredentials: Record<string, { content: string; rule: string }> = {
  ".aws/credentials": {
    content: `[default]\naws_access_key_id = ${fake.awsKeyId}\naws_secret_access_key = ${fake.awsSecret}\n`,
    rule: "aws/AWSSecretAccessKey",
  },
  "config/gcp-sa.json": {
    content: `${JSON.stringify(
      {
        type: "service_account",
        project_id: "demo-project",
        private_key_id: run(40, 9).toLowerCase(),
        private_key: privateKey(""),
        client_email: "deployer@demo-project.iam.gserviceaccount.com",
      },
      null,
      2,
    )}\n`,
    rule: "gcp/PrivateKeyJSON",
  },
  "ops/ssh_deploy_key": { content: opensshKey(), rule: "privatekey/PrivateKey" },
  "deploy/settings.py": {
    content: `DEBUG = False\nAWS_ACCESS_KEY_ID = "${fake.awsKeyId}"\nAWS_SECRET_ACCESS_KEY = "${fake.awsSecret}"\n`,
    rule: "aws/AWSSecretAccessKey",
  },
  "src/github.ts": {
    content: `import { Octokit } from "octokit";\n\nexport const octokit = new Octokit({ auth: "${fake.githubToken}" });\n`,
    rule: "github/GITHUB_TOKEN",
  },
};

/** Files that mention credentials without holding one: published. */
export const mentionsOnly: Record<string, string> = {
  "README.md":
    "# Setup\n\nNever commit keys. A private key starts with `-----BEGIN RSA PRIVATE KEY-----`;\n" +
    "GitHub tokens look like `ghp_...`, AWS keys like AKIAIOSFODNN7EXAMPLE with the secret\n" +
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY (AWS's documentation example).\n" +
    "Set `aws_secret_access_key = <your key>` in ~/.aws/credentials.\n",
  "docs/tokens.md": "Tokens: ghp_ (GitHub), glpat- (GitLab), npm_ (npm), xoxb- (Slack), sk_live_ (Stripe).\n",
  "src/config.ts":
    'export const region = process.env.AWS_REGION ?? "eu-west-1";\nexport const token = process.env.GITHUB_TOKEN;\n',
};
