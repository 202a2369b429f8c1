// The production stack's Fargate services, as Datadog's CDK construct instruments them:
// `node synth.js SERVICES OUTDIR` synthesizes that many copies of the first service (task
// definition with the app, the Datadog Agent and a FireLens router to Datadog; roles; an ECS
// service in the existing cluster) into CloudFormation. See benchmarks/cdk_fargate.py.
// CloudFormation takes at most 500 resources a stack (CDK refuses more at synth), and each
// service is 6: the services go 50 to a stack, each stack with the shared API key by ARN.
"use strict";

const { App, Stack } = require("aws-cdk-lib");
const ec2 = require("aws-cdk-lib/aws-ec2");
const ecs = require("aws-cdk-lib/aws-ecs");
const secretsmanager = require("aws-cdk-lib/aws-secretsmanager");
const { DatadogECSFargate } = require("datadog-cdk-constructs-v2");

const [services, outdir] = [Number(process.argv[2]), process.argv[3]];
const account = "123456789012";
const region = "eu-west-1";
const app = new App({ outdir });
const servicesPerStack = 50;
const subnets = ["subnet-0d4e5f60718293a4b", "subnet-0e5f60718293a4b5c", "subnet-0f60718293a4b5c6d"];
const shared = new Stack(app, "observability-production", { env: { account, region } });
new secretsmanager.Secret(shared, "datadog-api-key", {
  secretName: "production/datadog-api-key",
});

function servicesStack(first) {
  const stack = new Stack(app, `observability-production-services-${first}`, {
    env: { account, region },
  });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, "vpc", {
    vpcId: "vpc-0123456789abcdef0",
    availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    privateSubnetIds: subnets,
  });
  const cluster = ecs.Cluster.fromClusterAttributes(stack, "cluster", {
    clusterName: "production",
    clusterArn: `arn:aws:ecs:${region}:${account}:cluster/production`,
    vpc,
    securityGroups: [],
  });
  const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, "sg", "sg-0a4b5c6d7e8f90a1b");
  const datadog = new DatadogECSFargate({
    apiKeySecret: secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      "datadog-api-key",
      `arn:aws:secretsmanager:${region}:${account}:secret:production/datadog-api-key-AbCdEf`,
    ),
    site: "datadoghq.eu",
    env: "production",
    cpu: 128,
    memoryLimitMiB: 512,
    apm: { isEnabled: true, isSocketEnabled: true, isProfilingEnabled: true },
    dogstatsd: { isEnabled: true, isSocketEnabled: true },
    orchestratorExplorer: { isEnabled: true },
    logCollection: {
      isEnabled: true,
      fluentbitConfig: { logDriverConfig: { hostEndpoint: "http-intake.logs.datadoghq.eu" } },
    },
  });
  return { stack, cluster, securityGroup, datadog };
}

let scope;
for (let index = 0; index < services; index++) {
  if (index % servicesPerStack === 0) scope = servicesStack(index);
  const { stack, cluster, securityGroup, datadog } = scope;
  const name = `service-${String(index).padStart(3, "0")}`;
  const database = secretsmanager.Secret.fromSecretCompleteArn(
    stack,
    `${name}-database`,
    `arn:aws:secretsmanager:${region}:${account}:secret:production/${name}/database-Mn56Op`,
  );
  const task = datadog.fargateTaskDefinition(
    stack,
    `${name}-task`,
    { family: `production-${name}`, cpu: 1024, memoryLimitMiB: 2048 },
    { service: name, version: "1.8.2" },
  );
  task.addContainer(name, {
    image: ecs.ContainerImage.fromRegistry(
      `${account}.dkr.ecr.${region}.amazonaws.com/${name}:1.8.2`,
    ),
    entryPoint: ["ddtrace-run"],
    command: ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "-w", "4",
      "-b", "0.0.0.0:8000"],
    portMappings: [{ containerPort: 8000 }],
    environment: { LOG_LEVEL: "info", DD_TRACE_SAMPLE_RATE: "0.1" },
    secrets: { DATABASE_URL: ecs.Secret.fromSecretsManager(database, "url") },
    essential: true,
  });
  new ecs.FargateService(stack, `${name}-service`, {
    cluster,
    taskDefinition: task,
    serviceName: name,
    desiredCount: 3,
    circuitBreaker: { rollback: true },
    securityGroups: [securityGroup],
    vpcSubnets: {
      subnets: subnets.map((id, n) => ec2.Subnet.fromSubnetId(stack, `${name}-subnet-${n}`, id)),
    },
  });
}

app.synth();
