# nginx.bash: the benchmarks' own nginx, for bench.sh, bench-fleet.sh and
# bench-restart.sh.  Sourced; needs nothing else.

# nginx_conf DIR PORT WORKERS [MAX-CONNECTIONS]: DIR/nginx.conf for an
# nginx with its prefix in DIR, serving 127.0.0.1:PORT with WORKERS worker
# processes: "Hello World" on every path, "ok" on /healthz (a balancer's
# check), keep-alive connections never closed for their number of
# requests, and room for MAX-CONNECTIONS connections only where asked
# (nginx preallocates them).  In the foreground, unless NGINX_DAEMON=on:
# a binary upgrade re-executes nginx and needs the master to be nobody's
# foreground child.
nginx_conf() {
	mkdir -p "$1/logs"
	cat >"$1/nginx.conf" <<-CONF
	daemon ${NGINX_DAEMON:-off};
	master_process on;
	worker_processes $3;
	worker_rlimit_nofile $((${4:-1024} + 500));
	pid $1/nginx.pid;
	error_log $1/logs/error.log warn;
	events { worker_connections ${4:-1024}; }
	http {
	    access_log off;
	    keepalive_requests 100000000;
	    client_body_temp_path $1/body;
	    proxy_temp_path $1/proxy;
	    fastcgi_temp_path $1/fastcgi;
	    uwsgi_temp_path $1/uwsgi;
	    scgi_temp_path $1/scgi;
	    server {
	        listen 127.0.0.1:$2;
	        location / { return 200 "Hello World\n"; }
	        location = /healthz { return 200 "ok\n"; }
	    }
	}
	CONF
}
