# Runs the overlay port's portfile.cmake outside vcpkg, with vcpkg's helper
# functions replaced by recorders, so that a test can see what it calls:
#   cmake -DPORTFILE=... -DPACKAGES=DIR -DLINKAGE=static|dynamic -DRECORD=FILE -P vcpkg_stub.cmake
# vcpkg_install_meson "installs" the header so that later steps have it.
set(PORT mgwauth)
set(CURRENT_PACKAGES_DIR "${PACKAGES}")
set(VCPKG_LIBRARY_LINKAGE "${LINKAGE}")
file(WRITE "${RECORD}" "")

function(record name)
    string(REPLACE ";" "|" args "${ARGN}")
    file(APPEND "${RECORD}" "${name}|${args}\n")
endfunction()

function(vcpkg_configure_meson)
    cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH" "OPTIONS")
    set(STUB_SOURCE_PATH "${arg_SOURCE_PATH}" CACHE INTERNAL "")
    record(vcpkg_configure_meson ${ARGN})
endfunction()

function(vcpkg_install_meson)
    file(INSTALL "${STUB_SOURCE_PATH}/include/mgwauth.h" DESTINATION "${CURRENT_PACKAGES_DIR}/include")
    record(vcpkg_install_meson ${ARGN})
endfunction()

function(vcpkg_replace_string file match replace)
    file(READ "${file}" text)
    string(FIND "${text}" "${match}" at)
    if(at EQUAL -1)
        message(FATAL_ERROR "vcpkg_replace_string: '${match}' not in ${file}")
    endif()
    string(REPLACE "${match}" "${replace}" text "${text}")
    file(WRITE "${file}" "${text}")
    record(vcpkg_replace_string ${file})
endfunction()

foreach(fn vcpkg_copy_pdbs vcpkg_copy_tools vcpkg_fixup_pkgconfig vcpkg_install_copyright)
    cmake_language(EVAL CODE "function(${fn})\n record(${fn} \${ARGN})\nendfunction()")
endforeach()

include("${PORTFILE}")
