# What `cmake --install` puts beside the binaries and plugins (default config, systemd unit, example
# data, docs), and the Debian package made from it all: `cpack -G DEB` in a build configured with
# -DCMAKE_INSTALL_PREFIX=/usr (packaging/build-in-container.sh does both; README "Build and install").

# /etc/driftwatch under the /usr prefix (GNUInstallDirs maps /usr's sysconfdir to /etc).
set(DW_SYSCONF_INSTALL_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/driftwatch")
set(DW_SYSTEMD_UNIT_DIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" CACHE PATH
  "Where the driftwatch.service unit is installed")

# The commented default config: it validates as installed (no model, so no baseline to find).
install(FILES "${CMAKE_SOURCE_DIR}/packaging/driftwatch.yaml" DESTINATION "${DW_SYSCONF_INSTALL_DIR}")

# The hardened unit of examples/systemd, calling the binary and reading the config where this
# install puts them.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${CMAKE_SOURCE_DIR}/examples/systemd/driftwatch.service")
file(READ "${CMAKE_SOURCE_DIR}/examples/systemd/driftwatch.service" _dw_unit)
string(REPLACE "/usr/local/bin/driftwatch" "${CMAKE_INSTALL_FULL_BINDIR}/driftwatch" _dw_unit "${_dw_unit}")
string(REPLACE "/etc/driftwatch/driftwatch.yaml" "${DW_SYSCONF_INSTALL_DIR}/driftwatch.yaml" _dw_unit "${_dw_unit}")
file(WRITE "${CMAKE_BINARY_DIR}/packaging/driftwatch.service"
  "# Installed from examples/systemd/driftwatch.service with the binary and config paths of this install\n"
  "# (${CMAKE_INSTALL_FULL_BINDIR}/driftwatch, ${DW_SYSCONF_INSTALL_DIR}/driftwatch.yaml).\n"
  "${_dw_unit}")
install(FILES "${CMAKE_BINARY_DIR}/packaging/driftwatch.service" DESTINATION "${DW_SYSTEMD_UNIT_DIR}")

# Example data for a first `driftwatch baseline` / `driftwatch check` (README "Build and install").
install(DIRECTORY examples/data/ DESTINATION "${DW_SHARE_INSTALL_DIR}/examples/data"
  FILES_MATCHING PATTERN "*.csv" PATTERN "*.jsonl")

# docs/ is optional: installed when the checkout has it.
install(FILES README.md DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY docs/ DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs" OPTIONAL)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME driftwatch)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "driftwatch maintainers <driftwatch@example.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "drift monitoring agent for deployed ML models")
set(CPACK_PACKAGE_DESCRIPTION
  "Watches the inputs and predictions of a deployed model (sidecar proxy, log tail, push API or\n\
one-shot cron check), compares them with a training baseline, exposes Prometheus metrics and sends\n\
alerts and retrain triggers. Plugins, dashboards, a systemd unit and example data included.")
# The install paths compiled into the binary (plugin dir) are the package's paths.
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/driftwatch/driftwatch")
# Depends from the ELF files' needs (dpkg-shlibdeps of dpkg-dev; CPack also runs `file`); without
# them, Debian 12's names written out.
find_program(DW_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(DW_FILE_UTILITY file)
if(DW_DPKG_SHLIBDEPS AND DW_FILE_UTILITY)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6, libcurl4, libjansson4, libyaml-0-2, libgsl27, libgslcblas0, libmicrohttpd12, libssl3, zlib1g")
endif()
# The default config is a conffile: dpkg keeps the admin's edits across upgrades and removes it on purge.
file(WRITE "${CMAKE_BINARY_DIR}/packaging/conffiles" "${DW_SYSCONF_INSTALL_DIR}/driftwatch.yaml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${CMAKE_BINARY_DIR}/packaging/conffiles")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
