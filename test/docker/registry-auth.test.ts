/** Registry credentials for pulls, from the agent's Docker config (no registry is reachable: the lookup is what is tested). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  credentialsFor,
  credentialsProblem,
  dockerConfigPath,
  parseDockerConfig,
  registryOf,
  registryOfKey,
} from '../../src/docker/registry-auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('the registry of an image reference, as Docker normalises it', () => {
  assert.equal(registryOf('redis'), 'docker.io');
  assert.equal(registryOf('redis:7'), 'docker.io');
  assert.equal(registryOf('team/app:1'), 'docker.io');
  assert.equal(registryOf('docker.io/team/app'), 'docker.io');
  assert.equal(registryOf('index.docker.io/library/redis'), 'docker.io');
  assert.equal(registryOf('registry.example.com/team/app:1'), 'registry.example.com');
  assert.equal(registryOf('registry:5000/app'), 'registry:5000');
  assert.equal(registryOf('localhost/app'), 'localhost');
  assert.equal(registryOfKey('https://index.docker.io/v1/'), 'docker.io');
  assert.equal(registryOfKey('https://Registry.Example.com/v2/'), 'registry.example.com');
  assert.equal(registryOfKey('registry:5000'), 'registry:5000');
});

test('docker login entries become the pull\'s authconfig: auth, username/password, identity token', () => {
  const config = parseDockerConfig(
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hub:pass:with:colons') },
        'registry.example.com': { username: 'ci', password: 's3cret' },
        'https://tokens.example.com/v2/': { identitytoken: 'tok-123' },
        'broken.example.com': { auth: b64('nocolon') },
      },
    }),
  );
  assert.deepEqual(credentialsFor('redis:7', config), { username: 'hubuser', password: 'hub:pass:with:colons', serveraddress: 'https://index.docker.io/v1/' });
  assert.deepEqual(credentialsFor('docker.io/team/app', config)?.username, 'hubuser');
  assert.deepEqual(credentialsFor('registry.example.com/team/app:1.2', config), { username: 'ci', password: 's3cret', serveraddress: 'registry.example.com' });
  assert.deepEqual(credentialsFor('tokens.example.com/app', config), { identitytoken: 'tok-123', serveraddress: 'tokens.example.com' });
  assert.equal(credentialsFor('broken.example.com/app', config), undefined);
  assert.equal(credentialsFor('other.example.com/app', config), undefined);
  // A registry name inside the path is not the registry.
  assert.equal(credentialsFor('team/registry.example.com', config)?.serveraddress, 'https://index.docker.io/v1/');
});

test('no file, a broken file or odd shapes mean "no credentials", never a crash', () => {
  assert.equal(parseDockerConfig(undefined), undefined);
  assert.equal(parseDockerConfig('{not json'), undefined);
  assert.equal(parseDockerConfig('[1,2]'), undefined);
  assert.equal(credentialsFor('redis', undefined), undefined);
  assert.equal(credentialsFor('redis', parseDockerConfig('{"auths": {"docker.io": null, "https://index.docker.io/v1/": 7}}')), undefined);
  assert.equal(credentialsFor('redis', parseDockerConfig('{"auths": {"docker.io": {"auth": 42, "username": 1}}}')), undefined);
});

test('credentials kept by a helper are named as the reason a pull went without them', () => {
  const helper = parseDockerConfig('{"credHelpers": {"123.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login"}}');
  assert.match(credentialsProblem('123.dkr.ecr.eu-west-1.amazonaws.com/app', helper) ?? '', /credential helper, which the agent does not run/);
  assert.equal(credentialsProblem('redis', helper), undefined);
  const store = parseDockerConfig('{"credsStore": "desktop"}');
  assert.match(credentialsProblem('redis', store) ?? '', /credential helper/);
  assert.equal(credentialsProblem('redis', parseDockerConfig('{"credsStore": "desktop", "auths": {"docker.io": {"auth": "dTpw"}}}')), undefined);
});

test('the config file is where docker login writes it', () => {
  assert.equal(dockerConfigPath({ DOCKER_CONFIG: '/etc/maestro/docker' }), '/etc/maestro/docker/config.json');
  assert.match(dockerConfigPath({}), /\/\.docker\/config\.json$/);
});
