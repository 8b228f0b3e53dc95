" Vim syntax file
" Language:	msgbus schema (msgbus-schema(5), compiled by msgbusgen(1))
" Filenames:	*.msg
" The tokens follow msgbusgen/lexer.l: keywords, the scalar types (plain
" identifiers to the compiler, highlighted as types), comments, doc comments
" (exactly three slashes), strings with their escapes, numbers, `?`,
" defaults after `=`, and the names that declarations introduce.

if exists("b:current_syntax")
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn case match

" Declarations and the name each introduces.
syn keyword msgbusPackage	package import skipwhite skipempty nextgroup=msgbusPackageName
syn match   msgbusPackageName	"\h\w*\%(\.\h\w*\)*" contained
syn keyword msgbusStructure	record command event enum skipwhite skipempty nextgroup=msgbusTypeName
syn match   msgbusTypeName	"\h\w*" contained
syn keyword msgbusHandler	handler skipwhite skipempty nextgroup=msgbusHandlerName
syn match   msgbusHandlerName	"\h\w*" contained
syn keyword msgbusKeyword	emits outbox
syn match   msgbusArrow		"->"

" Types: the scalars, and list<T> / map<string, T>.  The scalars are
" matches, not keywords, so that a field may be called `bytes:` (to the
" compiler they are plain identifiers).
syn match   msgbusType		"\<\%(bool\|u\=int\%(8\|16\|32\|64\)\|float\|double\|string\|bytes\|timestamp\|uuid\)\>"
syn keyword msgbusContainer	list map

" A field: `name:` (defined after the types, so it wins where both match);
" an optional type: `T?`; a default: `= value`.
syn match   msgbusField		"\h\w*\ze\s*:"
syn match   msgbusOptional	"?"
syn match   msgbusDefault	"=" skipwhite nextgroup=msgbusEnumDefault
syn match   msgbusEnumDefault	"\h\w*\%(\.\h\w*\)*" contained contains=msgbusBoolean
syn keyword msgbusBoolean	true false

" Numbers: decimal and hexadecimal integers, reals; a token that starts
" like a number but is none (12abc, 1.5e, 0x) is an error, as in msgbusgen.
syn match   msgbusBadNumber	"-\=\<\d[0-9A-Za-z_.]*"
syn match   msgbusNumber	"-\=\<\d\+\>"
syn match   msgbusNumber	"-\=\<0[xX]\x\+\>"
syn match   msgbusFloat		"-\=\<\d\+\.\d\+\%([eE][+-]\=\d\+\)\=\>"
syn match   msgbusFloat		"-\=\<\d\+[eE][+-]\=\d\+\>"

" Strings: one line; escapes \" \\ \/ \n \t \r \uXXXX, anything else is an error.
syn region  msgbusString	start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=msgbusEscape,msgbusBadEscape
syn match   msgbusBadEscape	+\\.+ contained
syn match   msgbusEscape	+\\["\\/ntr]+ contained
syn match   msgbusEscape	+\\u\x\{4}+ contained

" Comments: //, /* */, and /// doc comments (four slashes or more are plain).
syn keyword msgbusTodo		TODO FIXME XXX NOTE contained
syn match   msgbusComment	"//.*$" contains=msgbusTodo,@Spell
syn match   msgbusDocComment	"///\%(/\)\@!.*$" contains=msgbusTodo,@Spell
syn region  msgbusComment	start="/\*" end="\*/" contains=msgbusTodo,@Spell

syn sync minlines=50

hi def link msgbusPackage	Include
hi def link msgbusPackageName	Identifier
hi def link msgbusStructure	Structure
hi def link msgbusTypeName	Typedef
hi def link msgbusHandler	Keyword
hi def link msgbusHandlerName	Function
hi def link msgbusKeyword	Keyword
hi def link msgbusArrow		Operator
hi def link msgbusType		Type
hi def link msgbusContainer	Type
hi def link msgbusField		Identifier
hi def link msgbusOptional	Operator
hi def link msgbusDefault	Operator
hi def link msgbusEnumDefault	Constant
hi def link msgbusBoolean	Boolean
hi def link msgbusNumber	Number
hi def link msgbusFloat		Float
hi def link msgbusBadNumber	Error
hi def link msgbusString	String
hi def link msgbusEscape	SpecialChar
hi def link msgbusBadEscape	Error
hi def link msgbusTodo		Todo
hi def link msgbusComment	Comment
hi def link msgbusDocComment	SpecialComment

let b:current_syntax = "msgbus"
let &cpo = s:cpo_save
unlet s:cpo_save
