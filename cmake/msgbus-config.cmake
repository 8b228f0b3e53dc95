# msgbus-config.cmake - find_package(msgbus) for CMake projects.
#
# Gives the imported target msgbus::msgbus (libmsgbus and Jansson, found
# through pkg-config) and msgbusgen_generate(), which runs msgbusgen in the
# build, with its --depfile, so that editing an imported schema regenerates
# the code of the schemas that import it.
#
#   msgbusgen_generate(<var> SCHEMAS a.msg [b.msg ...]
#                      [IMPORT_DIRS dir ...] [OUTPUT_DIR dir])
#
# sets <var> to the generated .c and .h files, to add to a target.
cmake_minimum_required(VERSION 3.20)
include(CMakeFindDependencyMacro)
find_dependency(PkgConfig)
pkg_check_modules(MSGBUS REQUIRED IMPORTED_TARGET GLOBAL msgbus)
if(NOT TARGET msgbus::msgbus)
    add_library(msgbus::msgbus ALIAS PkgConfig::MSGBUS)
endif()
pkg_get_variable(MSGBUSGEN_EXECUTABLE msgbus msgbusgen)

function(msgbusgen_generate out_var)
    cmake_parse_arguments(ARG "" "OUTPUT_DIR" "SCHEMAS;IMPORT_DIRS" ${ARGN})
    if(NOT ARG_SCHEMAS)
        message(FATAL_ERROR "msgbusgen_generate: no SCHEMAS given")
    endif()
    if(NOT ARG_OUTPUT_DIR)
        set(ARG_OUTPUT_DIR ${CMAKE_CURRENT_BINARY_DIR})
    endif()
    set(includes)
    foreach(dir IN LISTS ARG_IMPORT_DIRS)
        get_filename_component(dir ${dir} ABSOLUTE)
        list(APPEND includes -I ${dir})
    endforeach()
    set(outputs)
    foreach(schema IN LISTS ARG_SCHEMAS)
        get_filename_component(source ${schema} ABSOLUTE)
        get_filename_component(name ${schema} NAME)
        set(c ${ARG_OUTPUT_DIR}/${name}.c)
        set(h ${ARG_OUTPUT_DIR}/${name}.h)
        add_custom_command(OUTPUT ${c} ${h}
            COMMAND ${MSGBUSGEN_EXECUTABLE} -o ${ARG_OUTPUT_DIR} ${includes}
                    --depfile ${ARG_OUTPUT_DIR}/${name}.d ${source}
            DEPENDS ${source}
            DEPFILE ${ARG_OUTPUT_DIR}/${name}.d
            COMMENT "msgbusgen ${name}"
            VERBATIM)
        list(APPEND outputs ${c} ${h})
    endforeach()
    set(${out_var} ${outputs} PARENT_SCOPE)
endfunction()
