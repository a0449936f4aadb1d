#!/usr/bin/env bash
# A real Postfix on 127.0.0.1:2525 that accepts mail for example.org and
# delivers every message into one Maildir (the sink the Postfix test counts).
# usage: .ci/postfix-sink.sh   (as root; prints the env the test needs)
set -euo pipefail

if ! command -v postfix >/dev/null; then
    echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
    echo "postfix postfix/mailname string ci.postbode.test" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postfix >/dev/null
fi

sink=/var/spool/postbode-sink
rm -rf "$sink"
mkdir -p "$sink"
chown 65534:65534 "$sink"
echo '/.*/ sink/' > /etc/postfix/postbode-sink

postconf -e \
    "myhostname = ci.postbode.test" \
    "mydestination =" \
    "inet_interfaces = loopback-only" \
    "inet_protocols = ipv4" \
    "mynetworks = 127.0.0.0/8" \
    "virtual_mailbox_domains = example.org" \
    "virtual_mailbox_base = $sink" \
    "virtual_mailbox_maps = regexp:/etc/postfix/postbode-sink" \
    "virtual_uid_maps = static:65534" \
    "virtual_gid_maps = static:65534" \
    "virtual_minimum_uid = 100" \
    "maillog_file = /var/log/postfix.log" \
    "smtpd_banner = \$myhostname ESMTP" \
    "compatibility_level = 3.6"
postconf -M "127.0.0.1:2525/inet=127.0.0.1:2525 inet n - n - - smtpd"
postconf -M "postlog/unix-dgram=postlog unix-dgram n - n - 1 postlogd" || true
newaliases || true
postfix stop >/dev/null 2>&1 || true
postfix start
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/2525) 2>/dev/null && break
    sleep 0.2
done
echo "POSTBODE_POSTFIX_PORT=2525"
echo "POSTBODE_POSTFIX_MAILDIR=$sink/sink"
