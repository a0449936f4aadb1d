#!/usr/bin/env bash
# A real Dovecot on 127.0.0.1:10143 with one account for the IMAP bounce
# test, configured by .ci/dovecot.conf (the system's Dovecot is not touched).
# usage: .ci/dovecot.sh   (as root; prints the env the test needs)
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dovecot >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
fi

conf=/etc/postbode-dovecot
password=bounce-test-password
mkdir -p "$conf" /var/lib/postbode-dovecot /run/postbode-dovecot
cp dovecot.conf "$conf/dovecot.conf"
echo "bounces:{PLAIN}$password" > "$conf/users"
chmod 640 "$conf/users"
chgrp dovecot "$conf/users" 2>/dev/null || true
rm -rf /var/spool/postbode-imap
mkdir -p /var/spool/postbode-imap
chown 65534:65534 /var/spool/postbode-imap

doveadm -c "$conf/dovecot.conf" stop >/dev/null 2>&1 || true
dovecot -c "$conf/dovecot.conf"
for _ in $(seq 50); do
    (exec 3<>/dev/tcp/127.0.0.1/10143) 2>/dev/null && break
    sleep 0.2
done
echo "POSTBODE_IMAP_TEST_PORT=10143"
echo "POSTBODE_IMAP_TEST_USER=bounces"
echo "POSTBODE_IMAP_TEST_PASSWORD=$password"
