# Overlay port of libmgwauth, built from this repository:
#   vcpkg install mgwauth --overlay-ports=<repo>/bindings/vcpkg/ports
# The project is not published, so there is nothing for vcpkg_from_github or
# vcpkg_from_git to download: the source is the checkout this port lives in,
# four directories up. Once a release is tagged, replace the line below with
#   vcpkg_from_github(OUT_SOURCE_PATH SOURCE_PATH REPO <owner>/libmgwauth
#                     REF "v${VERSION}" SHA512 <hash of the tarball>)
# vcpkg builds out of tree, so the checkout is only read.
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../../../.." ABSOLUTE)
if(NOT EXISTS "${SOURCE_PATH}/include/mgwauth.h")
    message(FATAL_ERROR "mgwauth overlay port: no libmgwauth source at ${SOURCE_PATH}")
endif()

# The Check unit suites and interop tests are not part of a package build.
vcpkg_configure_meson(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -Dtests=false
)
vcpkg_install_meson()
# A static library needs MGW_STATIC in its users on Windows: make it the
# installed header's default, so that users need not know.
if(VCPKG_LIBRARY_LINKAGE STREQUAL "static")
    vcpkg_replace_string("${CURRENT_PACKAGES_DIR}/include/mgwauth.h"
        "#if defined(MGW_STATIC)" "#if 1 /* vcpkg: static library */")
endif()
vcpkg_copy_pdbs()
vcpkg_copy_tools(TOOL_NAMES mgwauth AUTO_CLEAN)
vcpkg_fixup_pkgconfig()

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/debug/include" "${CURRENT_PACKAGES_DIR}/debug/share")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
