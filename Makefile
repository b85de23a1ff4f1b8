# One command to run the portal, one to test it; both set up whatever is missing first.
PORT ?= 5000
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
DEB_PACKAGES := fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 chromium poppler-utils wrk
# Installed without the desktop packages LibreOffice recommends.
DEB_PACKAGES_BARE := libreoffice-calc-nogui python3-uno

.PHONY: run test setup system-packages translations bench-catalog bench-registry

run: setup
	$(FLASK) db upgrade
	$(FLASK) portal demo --if-empty
	$(FLASK) run --port $(PORT)

test: setup
	$(BIN)/pytest

setup: system-packages $(VENV)/.installed translations

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

# Debian packages: CJK fonts, Pango and HarfBuzz subsetting for WeasyPrint PDFs, Chromium for browser
# tests, poppler for checking PDFs, wrk for benchmarks, LibreOffice Calc for typing into the registry
# template as a clerk would. Installed when missing and running as root.
system-packages:
	@installed() { dpkg-query -W -f '$${Status}' $$1 2>/dev/null | grep -q 'ok installed'; }; \
	missing=$$(for p in $(DEB_PACKAGES); do installed $$p || echo $$p; done); \
	bare=$$(for p in $(DEB_PACKAGES_BARE); do installed $$p || echo $$p; done); \
	if [ -n "$$missing$$bare" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    if [ -n "$$missing" ]; then apt-get install -y -qq $$missing; fi; \
	    if [ -n "$$bare" ]; then apt-get install -y -qq --no-install-recommends $$bare; fi; \
	  else \
	    echo "Missing Debian packages: $$missing $$bare — install them with: sudo apt-get install $$missing $$bare"; \
	  fi; \
	fi

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d portal/translations

bench-catalog: setup
	$(BIN)/python bench/catalog.py

# Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth); makes and drops its own database.
bench-registry: setup
	$(BIN)/python bench/registry_import.py
