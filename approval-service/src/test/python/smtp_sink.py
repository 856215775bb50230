"""A real SMTP server (Python's standard smtpd module) that stores every message it accepts.

usage: smtp_sink.py PORT DIR
Each message becomes DIR/<n>.eml (the data as received) and DIR/<n>.env (envelope: the sender on
the first line, the recipients on the next ones); <n>.done marks the pair complete.
"""
import asyncore
import os
import smtpd
import sys
import warnings

warnings.simplefilter("ignore", DeprecationWarning)


class Sink(smtpd.SMTPServer):
    count = 0

    def process_message(self, peer, mailfrom, rcpttos, data, **kwargs):
        Sink.count += 1
        base = os.path.join(self.directory, "%06d" % Sink.count)
        with open(base + ".eml", "wb") as eml:
            eml.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        with open(base + ".env", "w", encoding="utf-8") as env:
            env.write("\n".join([mailfrom] + list(rcpttos)))
        open(base + ".done", "w").close()


if __name__ == "__main__":
    port, directory = int(sys.argv[1]), sys.argv[2]
    server = Sink(("127.0.0.1", port), None, decode_data=False)
    server.directory = directory
    print("ready", flush=True)
    asyncore.loop()
