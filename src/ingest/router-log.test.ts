import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRouterLine, normaliseHost, parseRouterMessage } from './router-log.js';

const NGINX = 'S3CRET method="GET" host="myapp.example.com" status="200" bytes="13" connect="0.001" upstream_time="0.019" request_time="0.020" protocol="https" msec="1700000000.5" dyno="web.1" request_id="8601b555" fwd="204.204.204.204" path="/"';

test('parses the documented log_format and renders Heroku’s router line, fields in Heroku’s order', () => {
  const m = parseRouterMessage(NGINX)!;
  assert.equal(m.secret, 'S3CRET');
  assert.equal(
    formatRouterLine(m.fields),
    'at=info method=GET path="/" host=myapp.example.com request_id=8601b555 fwd="204.204.204.204" dyno=web.1 connect=1ms service=18ms status=200 bytes=13 protocol=https',
  );
});

test('no upstream: connect is empty and service is nginx’s request time; several tries add up', () => {
  const none = parseRouterMessage('s connect="-" upstream_time="-" request_time="0.003"')!;
  assert.match(formatRouterLine(none.fields), / connect= service=3ms /);
  const tries = parseRouterMessage('s connect="0.001, 0.002" upstream_time="0.010, 0.020"')!;
  assert.match(formatRouterLine(tries.fields), / connect=3ms service=27ms /);
});

test('a truncated message keeps what it has; a message without a secret is refused', () => {
  const m = parseRouterMessage('s host="h" path="/very/long/pa')!;
  assert.equal(m.fields.get('path'), '/very/long/pa');
  assert.equal(parseRouterMessage('onlyonetoken'), undefined);
  assert.equal(parseRouterMessage(''), undefined);
});

test('hosts are matched as the domains API stores them', () => {
  assert.equal(normaliseHost('MyApp.Example.COM:8080'), 'myapp.example.com');
  assert.equal(normaliseHost('myapp.example.com.'), 'myapp.example.com');
});
