// Runs the script of an actions/github-script step the way the action does (the body of an async
// function of `require`, `github`, `context` and `core`), against a scenario instead of GitHub's
// API. Reads {script, context, pulls, comments} as JSON on stdin; prints {failed, calls}: the
// message given to core.setFailed or thrown, and every API call the script made.
const fs = require('fs');

const scenario = JSON.parse(fs.readFileSync(0, 'utf8'));
const calls = [];
let failed = null;

const call = (name, answer) => async (params) => {
  calls.push({ name, params });
  return { data: answer(params) };
};
const github = {
  rest: {
    pulls: {
      get: call('pulls.get', ({ pull_number: number }) => {
        const pull = scenario.pulls[String(number)];
        if (!pull) {
          throw new Error(`Not Found: no pull request #${number}`);
        }
        return pull;
      }),
    },
    issues: {
      listComments: call('issues.listComments', () => scenario.comments),
      createComment: call('issues.createComment', () => ({})),
      updateComment: call('issues.updateComment', () => ({})),
    },
  },
  paginate: async (method, params) => (await method(params)).data,
};
const core = {
  setFailed: (message) => {
    failed = message;
  },
};

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('require', 'github', 'context', 'core', scenario.script)(
  require,
  github,
  scenario.context,
  core,
)
  .catch((error) => {
    failed = `threw: ${error.message}`;
  })
  .then(() => process.stdout.write(JSON.stringify({ failed, calls })));
