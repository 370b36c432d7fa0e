"""A stdlib-heavy script (test_python_safety.py): email, http.client,
xml.etree, sqlite3, decimal, asyncio, a concurrent.futures thread pool, re
and a subprocess. Prints the same JSON with and without the shim."""
import asyncio
import concurrent.futures
import decimal
import email.message
import email.parser
import email.policy
import http.client
import io
import json
import re
import sqlite3
import subprocess
import xml.etree.ElementTree as ET


def email_part():
    msg = email.message.EmailMessage()
    msg["Subject"] = "hello"
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.com"
    msg.set_content("body line\n" * 200)
    parsed = email.parser.BytesParser(policy=email.policy.default).parsebytes(msg.as_bytes())
    return [parsed["Subject"], len(parsed.get_content())]


def http_part():
    raw = b"Content-Type: text/plain\r\nContent-Length: 5\r\nX-Thing: 1\r\n\r\n"
    return sorted(http.client.parse_headers(io.BytesIO(raw)).keys())


def xml_part():
    root = ET.fromstring("<r>" + "".join(f"<i n='{i}'>{i * i}</i>" for i in range(500)) + "</r>")
    return [len(root), sum(int(e.text) for e in root.iter("i"))]


def sqlite_part():
    db = sqlite3.connect(":memory:")
    db.execute("create table t(a integer, b text)")
    db.executemany("insert into t values (?, ?)", [(i, str(i) * 3) for i in range(2000)])
    db.execute("create index tb on t(b)")
    row = db.execute("select count(*), sum(a) from t where b like '1%'").fetchone()
    db.close()
    return list(row)


def decimal_part():
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        return str(decimal.Decimal(1) / decimal.Decimal(7) + decimal.Decimal("1.5").sqrt())


async def square(i):
    await asyncio.sleep(0)
    return i * i


async def gather():
    q = asyncio.Queue()
    for i in range(50):
        q.put_nowait(i)
    got = [await q.get() for _ in range(50)]
    return sum(await asyncio.gather(*(square(i) for i in range(200)))) + sum(got)


def count_numbers(n):
    return len(re.findall(r"\b\d+7\b", " ".join(map(str, range(n)))))


def pool_part():
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        return sum(ex.map(count_numbers, range(100, 3000, 100)))


def re_part():
    words = re.compile(r"(?P<w>[a-z]+)(?P<n>\d*)")
    text = " ".join(f"word{i} other{i % 7} x" for i in range(2000))
    return [len(words.findall(text)), words.sub(lambda m: m["w"].upper(), "ab12 cd")]


def subprocess_part():
    return subprocess.run(["/bin/true"]).returncode


print(json.dumps({"email": email_part(), "http": http_part(), "xml": xml_part(),
                  "sqlite": sqlite_part(), "decimal": decimal_part(),
                  "asyncio": asyncio.run(gather()), "pool": pool_part(), "re": re_part(),
                  "subprocess": subprocess_part()}, sort_keys=True))
