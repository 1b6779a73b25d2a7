package tracker

// iso4217Codes lists the active alphabetic codes of ISO 4217 List One
// ("Current currency & funds code list"), as published by SIX Group, the ISO
// 4217 maintenance agency, in the list dated 2026-01-01. Funds codes (BOV,
// CHE, CHW, CLF, COU, MXV, USN, UYI, UYW) and the entries without minor units
// (precious metals, SDR, bond-market units, XSU, XUA, the testing code XTS and
// XXX for "no currency") are in List One too and kept: a client may price in
// them, and XTS is handy in tests.
//
// Changes from the 2024-06-25 list: XCG (Caribbean guilder) replaced ANG on
// 2025-03-31; XAD (Arab Accounting Dinar) was added; CUC was withdrawn; BGN
// left when Bulgaria adopted the euro on 2026-01-01. Withdrawn codes are
// refused as unknown. Update this list from the agency's current List One
// when an amendment is published; TestCurrencyTable checks it stays sorted,
// unique and three upper-case letters.
const iso4217Codes = "" +
	"AED AFN ALL AMD AOA ARS AUD AWG AZN " +
	"BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
	"CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK " +
	"DJF DKK DOP DZD " +
	"EGP ERN ETB EUR " +
	"FJD FKP " +
	"GBP GEL GHS GIP GMD GNF GTQ GYD " +
	"HKD HNL HTG HUF " +
	"IDR ILS INR IQD IRR ISK " +
	"JMD JOD JPY " +
	"KES KGS KHR KMF KPW KRW KWD KYD KZT " +
	"LAK LBP LKR LRD LSL LYD " +
	"MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN " +
	"NAD NGN NIO NOK NPR NZD " +
	"OMR " +
	"PAB PEN PGK PHP PKR PLN PYG " +
	"QAR " +
	"RON RSD RUB RWF " +
	"SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL " +
	"THB TJS TMT TND TOP TRY TTD TWD TZS " +
	"UAH UGX USD USN UYI UYU UYW UZS " +
	"VED VES VND VUV " +
	"WST " +
	"XAD XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX " +
	"YER " +
	"ZAR ZMW ZWG"
